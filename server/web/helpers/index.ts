import t from './t.js';
import concat from './concat.js';
import eq from './eq.js';
import includes from './includes.js';
import formatDate from './formatDate.js';
import formatDay from './formatDay.js';
import urlencode from './urlencode.js';

export const helpers = { t, concat, eq, includes, formatDate, formatDay, urlencode };
