/**
 * A fleet's tenants named in SSM Parameter Store: every parameter under a
 * path (GetParametersByPath, recursive, page by page until no NextToken:
 * a page may hold fewer than MaxResults and still have one), each String
 * value a tenant's name
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html).
 * A SecureString is refused, not decrypted: a tenant's name is no secret,
 * so the function needs no kms:Decrypt, and a value that is one is never
 * read into a log. The SDK is loaded on first use (a fleet named in the
 * database never pays for it) and finds its credentials, region and
 * endpoint as it always does (AWS_ENDPOINT_URL_SSM included).
 */
import { InputError, MigrationError } from '../../engine/errors/errors';
import type { TenantRegistry } from '../../engine/fleet/tenants';
import { importModule } from '../../engine/runtime/import-module';

/** As the other clients of the function: an endpoint it cannot reach fails in seconds, not at the Lambda timeout. */
const TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true } as const;

/** The most a GetParametersByPath page holds. */
const PAGE = 10;

/** The most pages read: 10,000 tenants; past it the path is not a fleet's (or holds far more than one deploy's). */
const MAX_PAGES = 1_000;

/** One page, as the SDK answers it. */
interface Page {
  Parameters?: { Name?: string; Type?: string; Value?: string }[];
  NextToken?: string;
}

/** What the registry asks the service: one page of the path. */
export type ParameterPageReader = (request: { Path: string; Recursive: true; MaxResults: number; NextToken?: string }) => Promise<Page>;

/** The registry on the SDK's SSMClient, for `region` (else the SDK's own choice). */
export function parameterStore(region?: string): TenantRegistry {
  let read: ParameterPageReader | undefined;
  const reader = async (): Promise<ParameterPageReader> => {
    if (read) return read;
    const sdk = await importModule('@aws-sdk/client-ssm', () => import('@aws-sdk/client-ssm'));
    const client = new sdk.SSMClient({ ...(region ? { region } : {}), requestHandler: TIMEOUTS });
    read = (request) => client.send(new sdk.GetParametersByPathCommand(request));
    return read;
  };
  return { namesUnder: async (path) => namesUnder(path, await reader()) };
}

/** Every value under `path`, in the order the pages give them. */
export async function namesUnder(path: string, read: ParameterPageReader): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await readPage(read, path, token);
    for (const p of page.Parameters ?? []) names.push(nameOf(p, path));
    token = page.NextToken || undefined;
    if (!token) return names;
  }
  throw new InputError(`the SSM path ${path} holds more than ${MAX_PAGES * PAGE} parameters, more than a fleet's tenants`, {
    value: path,
    fix: 'name a path that holds only the tenants (one parameter per tenant schema)',
  });
}

async function readPage(read: ParameterPageReader, path: string, token: string | undefined): Promise<Page> {
  try {
    return await read({ Path: path, Recursive: true, MaxResults: PAGE, ...(token ? { NextToken: token } : {}) });
  } catch (cause) {
    const name = (cause as { name?: string })?.name ?? 'Error';
    // The service's message, never a value: it names the path and the caller, no parameter's content.
    const said = (cause as Error)?.message ? `: ${(cause as Error).message}` : '';
    throw new MigrationError(`cannot read the fleet's tenants under the SSM path ${path} (GetParametersByPath): ${name}${said}`, {
      cause,
      fix:
        name === 'AccessDeniedException'
          ? `allow ssm:GetParametersByPath on arn:aws:ssm:REGION:ACCOUNT:parameter${path} to these credentials (SchemaMigrations grants it to its functions)`
          : 'check that SSM is reachable from here (an interface endpoint for SSM in an isolated VPC: SchemaMigrations "ssmEndpoint") and that the region is the parameters\'',
    });
  }
}

/** A parameter's value as a tenant's name; a SecureString or an empty value is refused, naming the parameter and not its value. */
function nameOf(p: { Name?: string; Type?: string; Value?: string }, path: string): string {
  const where = `the SSM parameter ${p.Name ?? '(unnamed)'} under the fleet's path ${path}`;
  if (p.Type === 'SecureString')
    throw new InputError(`${where} is a SecureString; a tenant's name is read as plain text, never decrypted`, {
      value: p.Name ?? path,
      fix: "write the tenant's schema name as a String parameter (no secret belongs under the fleet's path: the endpoint and credentials stay in the database secret)",
    });
  if (typeof p.Value !== 'string' || p.Value.trim() === '')
    throw new InputError(`${where} has an empty value where a tenant's schema name belongs`, {
      value: p.Name ?? path,
      fix: "write the tenant's schema name as the parameter's value",
    });
  return p.Value;
}
