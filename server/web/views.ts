import path from 'node:path';
import { existsSync } from 'node:fs';
import { engine } from 'express-handlebars';
import type { Express } from 'express';
import { helpers } from './helpers/index.js';
import { projectPath } from '../core/paths.js';

export const VIEWS_DIR = projectPath('views');
const SHARED_DIR = path.join(VIEWS_DIR, 'shared');

/**
 * Server-rendered Handlebars views; `{{ }}` escapes everything, `{{{ }}}` is reserved for layouts' body.
 * Each app sees its own folder (views/public or views/staff) and views/shared (layouts, error
 * pages, partials both use), so neither app can render the other's pages.
 */
export function setupViews(app: Express, audience: 'public' | 'staff', cache: boolean): void {
  const own = path.join(VIEWS_DIR, audience);
  const partials = [path.join(SHARED_DIR, 'partials'), path.join(own, 'partials')].filter((dir) => existsSync(dir));
  app.engine(
    'hbs',
    engine({
      extname: '.hbs',
      defaultLayout: audience,
      layoutsDir: path.join(SHARED_DIR, 'layouts'),
      partialsDir: partials,
      helpers,
      // Handlebars would otherwise indent every line of an indented partial, changing the text a
      // rejected form puts back into its <textarea>.
      compilerOptions: { preventIndent: true },
    }),
  );
  app.set('view engine', 'hbs');
  app.set('views', [own, SHARED_DIR]);
  app.set('view cache', cache);
}
