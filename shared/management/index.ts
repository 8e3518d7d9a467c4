/** Typed AMQP management of qdrouterd / skupper-router routers over the shared client. */
export {
  type EntityRef,
  MAX_PAGE_SIZE,
  ManagementClient,
  type ManagementClientOptions,
  type ManagementOperationEvent,
  type ManagementTransport,
  type QueryOptions,
  type QueryPage,
} from "./client.ts";
export {
  ManagementPool,
  type ManagementSession,
  type ManagementTarget,
  type OpenOptions,
  openManagement,
} from "./connect.ts";
export {
  ManagementAccessError,
  ManagementBadRequestError,
  ManagementError,
  ManagementForbiddenError,
  ManagementNoReplyError,
  ManagementNotFoundError,
  ManagementNotImplementedError,
  ManagementProtocolError,
  type ManagementRequestInfo,
  ManagementServerError,
  ManagementStatusError,
  ManagementTypeError,
  ManagementUnreachableError,
  statusError,
} from "./errors.ts";
export { type ManagedEntity, replyBody } from "./reply.ts";
export {
  flavourOfTypes,
  isManagementEntityType,
  MANAGEMENT_NODE_TYPE,
  type ManagementEntityType,
  managementTypeName,
  type RuntimeEntityType,
  shortTypeName,
} from "./types.ts";
