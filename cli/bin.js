#!/usr/bin/env node
// Node >= 22.18 strips TypeScript types natively; the sources use erasable syntax only.
import { main } from "./main.ts";

// Exit explicitly: a command is done when main returns, whatever sockets linger.
process.exit(await main(process.argv.slice(2)));
