/** The storage emulators, from the local platform's module (`up` starts them as well). */
export {
  type BlobEmulator,
  objectCreatedEvent,
  type S3Emulator,
  type S3EventRecord,
  startAzurite,
  startS3Emulator,
} from "../../cli/local/storage-emulators.ts";
