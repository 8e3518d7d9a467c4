/**
 * The base of every configuration error of the platform's parts (ingress, triggers,
 * config-sync, the functions' secrets and storage): a setting is missing or malformed. Each
 * problem names the variable and what it must hold, never its value (it may be a secret).
 * `instanceof SettingsError` tells a deployment that will not work until its settings change
 * from a failure of the moment.
 */
export class SettingsError extends Error {
  override name = "SettingsError";
  /** Each problem on its own line of thought: the variable and what it must hold. */
  readonly problems: readonly string[];
  /** `scope`, when given, opens the message: "<scope> configuration: problem; problem". */
  constructor(
    problems: string | readonly string[],
    options: { scope?: string; cause?: unknown } = {},
  ) {
    const list = typeof problems === "string" ? [problems] : [...problems];
    const text = list.join("; ");
    super(
      options.scope === undefined ? text : `${options.scope} configuration: ${text}`,
      "cause" in options ? { cause: options.cause } : undefined,
    );
    this.problems = list;
  }
}
