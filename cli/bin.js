#!/usr/bin/env node
// Node >= 22.18 strips TypeScript types natively; the sources use erasable syntax only.
import { main } from "./main.ts";

process.exitCode = await main(process.argv.slice(2));
