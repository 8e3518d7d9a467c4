/** What the trigger unit tests use, through the modules' entries. */
export { PermanentError } from "../../../shared/amqp/index.ts";
export * from "../../../shared/trigger/index.ts";
