/**
 * The sandbox's RS256 signing key, persisted as JWK in `<keysDir>/keys.json` (default: `.sandbox/`
 * at the repository root, gitignored) so a restart keeps issued tokens valid (LP contract §3.3).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

export const KEY_ID = 'sandbox-1';
const ALG = 'RS256';

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

interface StoredKeys {
  kid: string;
  alg: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export const DEFAULT_KEYS_DIR = fileURLToPath(new URL('../../.sandbox/', import.meta.url));

export async function loadOrCreateKeys(keysDir: string = DEFAULT_KEYS_DIR): Promise<SigningKeys> {
  const file = join(keysDir, 'keys.json');
  const stored = await readStoredKeys(file);
  if (stored) {
    return {
      kid: stored.kid,
      privateKey: (await importJWK(stored.privateJwk, ALG)) as CryptoKey,
      publicKey: (await importJWK(stored.publicJwk, ALG)) as CryptoKey,
    };
  }
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const toStore: StoredKeys = {
    kid: KEY_ID,
    alg: ALG,
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
  };
  await mkdir(keysDir, { recursive: true });
  // Write then rename, so a concurrent start never reads half a file.
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify(toStore, null, 2), { mode: 0o600 });
  await rename(tmp, file);
  return { kid: KEY_ID, privateKey, publicKey };
}

async function readStoredKeys(file: string): Promise<StoredKeys | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoredKeys>;
    if (typeof parsed.kid === 'string' && parsed.privateJwk && parsed.publicJwk) return parsed as StoredKeys;
  } catch {
    // Unreadable file: make a new key (old tokens become invalid, which is what a real key rotation does).
  }
  return undefined;
}
