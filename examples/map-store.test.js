// Run with `node --test examples/map-store.test.js` once dist/ is built (npm run build):
// `scratchpad/testing` is the package's own export, which resolves to dist/.
import { testSessionStore } from 'scratchpad/testing';
import { MapSessionStore } from './map-store.js';

testSessionStore('MapSessionStore', (clock) => new MapSessionStore(clock));
