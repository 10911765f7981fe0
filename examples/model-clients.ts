import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { init } from 'prefactor-trace';
import { anthropicSpanTypes, wrapAnthropic } from 'prefactor-trace/anthropic';
import { openaiSpanTypes, wrapOpenAI } from 'prefactor-trace/openai';

// PREFACTOR_API_URL, PREFACTOR_API_TOKEN and PREFACTOR_AGENT_ID come from the environment, and so
// do the clients' OPENAI_API_KEY and ANTHROPIC_API_KEY.
const tracer = init({ spanTypes: [...openaiSpanTypes, ...anthropicSpanTypes] });
const openai = wrapOpenAI(new OpenAI());
// Model, parameters and token usage only: no prompts, no answers.
const anthropic = wrapAnthropic(new Anthropic(), { captureInput: false, captureOutput: false });

const colour = await openai.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'Name a colour' }] });
const fruit = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Name a fruit' }] });
console.log(colour.choices[0]?.message.content, fruit.stop_reason);
await tracer.shutdown();
