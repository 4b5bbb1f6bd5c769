/** Name of the scheduling service: its NATS queue group is `<ns>.scheduling`. */
export const SCHEDULING_SERVICE_NAME = 'scheduling';
