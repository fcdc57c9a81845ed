import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// The lint rule that keeps Tauri out of every file but the Tauri backend.
describe('no-restricted-imports for @tauri-apps', { timeout: 60_000 }, () => {
  const code = "import { invoke } from '@tauri-apps/api/core';\nexport const run = invoke;\n";

  it('refuses a Tauri import in a screen', async () => {
    const [result] = await new ESLint().lintText(code, { filePath: 'src/features/catalog/x.ts' });
    expect(result.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });

  it('allows it in the Tauri backend', async () => {
    const [result] = await new ESLint().lintText(code, { filePath: 'src/lib/backend/tauri.ts' });
    expect(result.messages.map((m) => m.ruleId)).not.toContain('no-restricted-imports');
  });
});
