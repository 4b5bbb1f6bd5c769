/** Name of the execution service: its NATS queue group is `<ns>.execution`. */
export const EXECUTION_SERVICE_NAME = 'execution';
