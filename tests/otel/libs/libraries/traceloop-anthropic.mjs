// @anthropic-ai/sdk + @traceloop/instrumentation-anthropic, with the SDK's own spans turned off
// (openTelemetry: false), i.e. what Traceloop users saw before the SDK had spans. Model calls
// only: the tool runner's loop and tools get no span.

import { req } from '../harness/runtime.mjs';
import { anthropicScenarios, anthropicSetup } from './anthropic-sdk.mjs';

export const traceloopAnthropic = () => new (req('@traceloop/instrumentation-anthropic').AnthropicInstrumentation)();

export default {
  provider: 'anthropic',
  scenarios: anthropicScenarios,
  spans: { run: () => false, tool: () => false },
  packages: ['@anthropic-ai/sdk', '@traceloop/instrumentation-anthropic', '@traceloop/ai-semantic-conventions'],
  setup: (ctx) => anthropicSetup(ctx, { sdkSpans: false, instrumentation: traceloopAnthropic }),
};
