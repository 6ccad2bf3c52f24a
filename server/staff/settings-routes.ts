import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../core/context.js';
import { formErrors, type FieldIssue, type FormErrors } from '../web/form-errors.js';
import { SETTING_DEFINITIONS, SETTING_KEYS, type SettingKey } from '../core/settings/definitions.js';
import { changeSettings, readSettings } from '../core/settings/service.js';
import { principalOf, requireStaff } from './guard.js';

/** The form fields: one per setting, named by its key with the dot replaced ("deadlines-feedbackDays"). */
const fieldOf = (key: SettingKey) => key.replace('.', '-');

type Group = { name: string; fields: { key: SettingKey; id: string; kind: string; value: string; limits: object; error?: string }[] };

function groups(values: Record<SettingKey, string>, errors: FormErrors): Group[] {
  const byGroup = new Map<string, Group>();
  for (const key of SETTING_KEYS) {
    const name = key.split('.')[0]!;
    const group = byGroup.get(name) ?? { name, fields: [] };
    const definition = SETTING_DEFINITIONS[key];
    group.fields.push({ key, id: fieldOf(key), kind: definition.input, value: values[key], limits: definition.limits, error: errors.byField[key] });
    byGroup.set(name, group);
  }
  return [...byGroup.values()];
}

const asText = (value: unknown) => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value));

/** Settings an administrator changes without a shell; each change applies to every instance and is audited. */
export function settingsRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireStaff(ctx, { admin: true });

  async function render(req: Request, res: Response, status: number, typed?: Partial<Record<SettingKey, string>>, issues: FieldIssue[] = []) {
    const current = await readSettings(ctx, ctx.database.db, { fresh: true });
    const values = Object.fromEntries(SETTING_KEYS.map((k) => [k, typed?.[k] ?? asText(current[k])])) as Record<SettingKey, string>;
    const errors = formErrors(req.locale, issues, { fieldId: (key) => fieldOf(key as SettingKey) });
    res.status(status).render('admin-settings', {
      layout: 'staff',
      titleKey: 'settings.title',
      groups: groups(values, errors),
      errors,
      saved: req.query.done === 'saved',
    });
  }

  router.get('/staff/admin/settings', guard, (req, res) => render(req, res, 200));

  router.post('/staff/admin/settings', guard, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = Object.fromEntries(
      SETTING_KEYS.flatMap((key) =>
        typeof body[fieldOf(key)] === 'string' ? [[key, String(body[fieldOf(key)]).slice(0, 500)]] : SETTING_DEFINITIONS[key].input === 'yesno' ? [[key, '']] : [],
      ),
    ) as Partial<Record<SettingKey, string>>;
    // An unticked checkbox sends nothing: that is "no".
    // Any other field the form did not send at all (an older page, a setting added since) stays as it is.
    const submitted = Object.fromEntries(Object.entries(typed).map(([key, value]) => [key, value === '' && SETTING_DEFINITIONS[key as SettingKey].input === 'yesno' ? 'no' : value]));
    const result = await changeSettings(ctx, { id: principalOf(req).id }, submitted);
    if (!result.ok) {
      return render(req, res, 422, typed, result.errors);
    }
    res.redirect(303, '/staff/admin/settings?done=saved');
  });

  return router;
}
