export { ComplianceServiceModule, COMPLIANCE_SERVICE } from './compliance-service.module';
export { COMPLIANCE_SERVICE_NAME } from './compliance-service.constants';
export { COMPLIANCE_SERVICE_OPTIONS, type ComplianceServiceOptions } from './compliance-service.options';
export { ComplianceRuntime, type CompliancePassResult } from './compliance-runtime';
export {
  planEvaluations,
  toEvaluationRow,
  type ViewServerRow,
  type EvaluationDecision,
  type EvaluationPlan,
  type EvaluationRow,
} from './evaluation/compliance-evaluation';
export type { ComplianceNotification, ComplianceNotificationKind } from './reactions/compliance-notifications';
