export { ComplianceServiceModule, COMPLIANCE_SERVICE } from './compliance-service.module';
export { COMPLIANCE_SERVICE_NAME } from './compliance-service.constants';
