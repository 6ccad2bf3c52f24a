import { dateHelper } from './formatDate.js';

/** {{formatDay date}} — the date alone: for values kept only to the day (reporter activity). */
const formatDay = dateHelper({ dateStyle: 'medium' });
export default formatDay;
