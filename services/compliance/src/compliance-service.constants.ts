/** Name of the compliance service: its NATS queue group is `<ns>.compliance`. */
export const COMPLIANCE_SERVICE_NAME = 'compliance';
