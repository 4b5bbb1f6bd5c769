import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EVENTS_DOC_PATH, renderEventsDoc } from '@fleetwarden/contracts';
import { catalogue } from './catalogue';

const target = join(__dirname, '..', '..', '..', EVENTS_DOC_PATH);
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, renderEventsDoc(catalogue));
console.log(`wrote ${EVENTS_DOC_PATH}`);
