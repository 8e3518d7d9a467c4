/** The registry's name patterns, without dependencies: used by its schema and by the name resolver the ingress and triggers carry. */

/** Characters a router address may hold safely: no spaces, wildcards or control characters. */
export const ADDRESS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;
export const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
/**
 * A principal (SASL user name): ASCII letters, digits, '_', '-' and '@'. Nothing a router reads
 * as a wildcard or a separator: qdrouterd takes `*` in a vhost group's users as everyone, splits
 * users at ',', and policy patterns treat '.', '/', '#' and `${user}` specially; no whitespace,
 * control characters or Unicode look-alikes.
 */
export const PRINCIPAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_@-]{0,127}$/;
