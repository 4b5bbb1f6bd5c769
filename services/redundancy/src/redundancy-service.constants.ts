/** Name of the redundancy service: its NATS queue group is `<ns>.redundancy`. */
export const REDUNDANCY_SERVICE_NAME = 'redundancy';
