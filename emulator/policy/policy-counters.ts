/**
 * The `policy` entity's router-wide counters, as qdrouterd 1.19 keeps them (src/policy.c:
 * n_processed, n_denied, n_connections, n_links_denied, n_maxsize_messages_denied,
 * n_total_denials): every accepted socket is processed, one beyond `maxConnections` is a
 * connection denial; a link the vhost policy refuses, and a message over the size limit,
 * are denials of their own kind. A connection the vhost policy refuses counts in none.
 */
export class PolicyCounters {
  connectionsProcessed = 0;
  connectionsDenied = 0;
  linksDenied = 0;
  maxMessageSizeDenied = 0;

  get totalDenials(): number {
    return this.connectionsDenied + this.linksDenied + this.maxMessageSizeDenied;
  }
}
