export {
  createProducer,
  type EnqueueResult,
  type Producer,
  type ProducerOptions,
  producerOptionsSchema,
} from './producer.js';
export {
  bullPrefix,
  type DeadLetter,
  type DrainJob,
  deadLetterQueueName,
  drainQueueName,
} from './queues.js';
export { type TenantCrm, type TenantSource, tenantIdSchema } from './tenants.js';
export { type CrmWorker, createWorker, type WorkerOptions, workerOptionsSchema } from './worker.js';
export { workerErrorCodes } from './worker-errors.js';
