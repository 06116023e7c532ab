export { type DomainMapping, type MappingMatch, matchMapping } from './base-path.js';
export { type AnswerFamily, CLIENT_RULES, type ClientFacts, type ClientRule } from './client-rules.js';
export {
  type ClientCandidate,
  type ClientExplanation,
  type ExplainResult,
  explainObservation,
  type NotA403,
  settleWithFinding,
} from './explain.js';
export { type ControlPlaneView, factsFromControlPlane } from './facts.js';
export { type ClientObservation, type HostKind, parseUrlShape, type UrlShape } from './observation.js';
export { CaptureFormatError, isReadableUrl, parseCurlVerbose, parseHar } from './parse-capture.js';
