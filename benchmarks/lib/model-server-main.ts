// The fake OpenAI/Anthropic server in its own process (its CPU stays out of the measured one):
// prints its URL on stdout, runs until killed.
import { startFakeModelServer } from '../../examples/fake-model-server.js';

const server = await startFakeModelServer();
console.log(server.url);
