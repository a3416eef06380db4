// Every e2e scenario, in run order. A later screen adds its own file here and one line below.
// A scenario is { name, run({ page, url, shot, env }) } and throws to fail.
import { admin } from './admin.mjs';
import { compare13 } from './compare13.mjs';
import { filterL } from './filterl.mjs';
import { shell } from './shell.mjs';
import { status13 } from './status13.mjs';
import { words13, words13First } from './words13.mjs';

// words13 reads the report of admin's last sync, so it runs before status13 (which syncs again).
export const scenarios = [...shell, ...words13First, ...admin, ...words13, ...status13, ...compare13, ...filterL];
