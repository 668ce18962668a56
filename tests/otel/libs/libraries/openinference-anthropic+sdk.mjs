// @arizeai/openinference-instrumentation-anthropic AND the SDK's own spans (its default since
// 0.134.0): like traceloop-anthropic+sdk, every model call is spanned twice.

import { openInferenceAnthropic } from './openinference-anthropic.mjs';

export default openInferenceAnthropic(true);
