export { compileStreaming, StreamingPlan, type PlanStageInfo, type StreamingOptions } from './plan.js';
