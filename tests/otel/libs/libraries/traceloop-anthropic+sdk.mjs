// @traceloop/instrumentation-anthropic AND the SDK's own spans, both on: what a Traceloop user
// gets by default with @anthropic-ai/sdk >= 0.134.0. Every model call is spanned twice.

import { anthropicScenarios, anthropicSetup } from './anthropic-sdk.mjs';
import { traceloopAnthropic } from './traceloop-anthropic.mjs';

export default {
  provider: 'anthropic',
  scenarios: anthropicScenarios,
  spans: { run: (s) => s === 'tools', runFromCall: (s) => s === 'tools', tool: () => true },
  packages: ['@anthropic-ai/sdk', '@traceloop/instrumentation-anthropic'],
  setup: (ctx) => anthropicSetup(ctx, { sdkSpans: true, instrumentation: traceloopAnthropic }),
};
