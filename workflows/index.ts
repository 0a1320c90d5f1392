// The worker's workflow bundle entry point.
export { workspaceWorkflow } from './workspace-workflow';
