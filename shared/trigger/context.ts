/** The TriggerContext a front hands the handler: publishing, time left, logging. */
import type { TriggerContext } from "./definition.ts";
import type { ChannelPublish } from "./publisher.ts";

export interface TriggerContextOptions {
  platform: TriggerContext["platform"];
  mode: TriggerContext["mode"];
  publish: ChannelPublish;
  remainingMs?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export function triggerContext(options: TriggerContextOptions): TriggerContext {
  const remainingMs = options.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const log =
    options.log ??
    ((message: string, fields?: Record<string, unknown>) =>
      console.log(fields === undefined ? message : `${message} ${JSON.stringify(fields)}`));
  return {
    platform: options.platform,
    mode: options.mode,
    publish: options.publish,
    remainingMs,
    log,
  };
}
