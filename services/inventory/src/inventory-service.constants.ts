/** Name of the inventory service: its NATS queue group is `<ns>.inventory`. */
export const INVENTORY_SERVICE_NAME = 'inventory';
