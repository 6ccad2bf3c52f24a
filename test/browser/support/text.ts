import { t } from '../../../server/core/i18n/index.js';

/**
 * The Simplified Chinese text of a key, as the page shows it. The walks find labels and buttons by
 * the words a person reads, taken from the catalogue so a rewording does not break the suite.
 */
export function zh(key: string, vars?: Record<string, unknown>): string {
  return t('zh-CN', key, vars);
}
