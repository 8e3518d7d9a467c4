/** What a handler answers for a batch: the SQS partial batch response, which every front reads. */

/** One failed item; `permanent` (an amqp-mesh extension SQS ignores) skips the retries. */
export interface BatchItemFailure {
  itemIdentifier: string;
  permanent?: boolean;
  reason?: string;
}

/** The SQS partial batch response: only the items listed failed. */
export interface BatchResponse {
  batchItemFailures: BatchItemFailure[];
}
