/*
 * Early-exit inference (Dynamic Confidence, Li, Jones & Furber, ICCV 2023):
 * stop each sample's inference at the first time step whose confidence in
 * the output accumulated so far reaches a threshold. docs/early-exit.md.
 */
export { CONFIDENCE_RULES, RULE_DOCS, checkThreshold, confidenceRange, confidences, parseRule, type ConfidenceRule } from './confidence.js';
export { StepReadout, type StepDecision } from './readout.js';
export { ModelStepper, type StepperOptions } from './stepper.js';
export { runEarlyExit, type EarlyExitOptions, type EarlyExitResult, type EncodedBatch, type ExitProfile } from './run.js';
export { chooseThreshold, oracleFront, paretoFront, simulateExit, thresholdSweep, type FrontPoint, type SimulatedExit, type ThresholdChoice, type Trajectories } from './front.js';
export { EarlyExitStream, type StreamOptions, type StreamStep } from './stream.js';
