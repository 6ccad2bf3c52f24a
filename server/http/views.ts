import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine } from 'express-handlebars';
import type { Express } from 'express';
import { helpers } from './helpers/index.js';

export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

/** Server-rendered Handlebars views; `{{ }}` escapes everything, `{{{ }}}` is reserved for layouts' body. */
export function setupViews(app: Express, cache: boolean): void {
  app.engine(
    'hbs',
    engine({
      extname: '.hbs',
      defaultLayout: 'public',
      layoutsDir: path.join(VIEWS_DIR, 'layouts'),
      partialsDir: path.join(VIEWS_DIR, 'partials'),
      helpers,
      // Handlebars would otherwise indent every line of an indented partial, changing the text a
      // rejected form puts back into its <textarea>.
      compilerOptions: { preventIndent: true },
    }),
  );
  app.set('view engine', 'hbs');
  app.set('views', VIEWS_DIR);
  app.set('view cache', cache);
}
