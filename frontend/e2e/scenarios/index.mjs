// Every e2e scenario, in run order. A later screen adds its own file here and one line below.
// A scenario is { name, run({ page, url, shot, env }) } and throws to fail.
import { admin } from './admin.mjs';
import { filterL } from './filterl.mjs';
import { shell } from './shell.mjs';
import { status13 } from './status13.mjs';

export const scenarios = [...shell, ...admin, ...status13, ...filterL];
