import { nanoid } from 'nanoid';
import { generateId } from './src/ids.js';
for (let r = 0; r < 3; r++) {
let t0 = performance.now();
for (let i = 0; i < 100000; i++) nanoid();
console.log('nanoid ns', ((performance.now() - t0) * 1e4 / 1000).toFixed(0));
t0 = performance.now();
for (let i = 0; i < 100000; i++) generateId();
console.log('generateId ns', ((performance.now() - t0) * 1e4 / 1000).toFixed(0));
}
