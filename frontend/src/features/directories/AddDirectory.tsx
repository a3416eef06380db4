import Breadcrumbs, { BreadcrumbsItem } from '@atlaskit/breadcrumbs';
import { Checkbox } from '@atlaskit/checkbox';
import Button from '@atlaskit/button/new';
import Form, { ErrorMessage as FieldError, Field, FormFooter, HelperMessage } from '@atlaskit/form';
import Lozenge from '@atlaskit/lozenge';
import { RadioGroup } from '@atlaskit/radio';
import SectionMessage, { SectionMessageAction } from '@atlaskit/section-message';
import Select from '@atlaskit/select';
import Textfield from '@atlaskit/textfield';
import { AdvancedEndpoints } from './Advanced';
import { useEffect, useState } from 'react';
import { PageLayout } from '../../shell/PageLayout';
import { DirectoryService, type app, type backend } from '../api';
import { useAction } from '../common/action';
import { ErrorMessage } from '../common/errors';
import { useNav } from '../common/nav';
import { ConnectionResult } from './ConnectionResult';
import { SignIn, TenantCard } from './SignIn';
import { TenantField, validateTenant } from './TenantField';

type Step = 'provider' | 'name' | 'atlassian' | 'microsoft' | 'signin' | 'tenant';
const stepTitles: Record<Step, string> = {
  provider: 'Choose your identity provider',
  name: 'Name your identity provider directory',
  atlassian: 'Connect to your Atlassian organization',
  microsoft: 'Your Microsoft app registration',
  signin: 'Sign in with Microsoft',
  tenant: 'Check the tenant',
};
const order: Step[] = ['provider', 'name', 'atlassian', 'microsoft', 'signin', 'tenant'];

export const maxNameLength = 100;

/** Validates a directory name as the backend does, plus uniqueness against the list. */
export function validateName(name: string, taken: string[]): string | undefined {
  const n = name.trim();
  if (!n) return 'Enter a name for the directory.';
  if ([...n].length > maxNameLength) return `Use at most ${maxNameLength} characters.`;
  if (taken.some((t) => t.toLowerCase() === n.toLowerCase())) return 'Another directory already has this name.';
  return undefined;
}

const clouds = [
  { label: 'Global (login.microsoftonline.com)', value: 'global' },
  { label: 'US Government (login.microsoftonline.us)', value: 'usgov' },
  { label: 'China, operated by 21Vianet (login.chinacloudapi.cn)', value: 'china' },
];

const otherProviders = ['Okta', 'Google Workspace', 'OneLogin', 'Other identity provider'];

export function emptyInput(): backend.DirectoryInput {
  return { name: '', cloud: 'global', clientId: '', scimBaseUrl: '', scimApiKey: '', orgId: '', orgApiKey: '', allowCustomHost: false };
}

/** Security > Identity providers > Add identity provider, step by step as Atlassian does it. */
export function AddDirectory() {
  const nav = useNav();
  const [step, setStep] = useState<Step>('provider');
  const [input, setInput] = useState<backend.DirectoryInput>(emptyInput);
  const [taken, setTaken] = useState<string[]>([]);
  const [demo, setDemo] = useState<app.DemoConnection | null>(null);
  const [nameError, setNameError] = useState<string | undefined>();
  const [created, setCreated] = useState<backend.Directory | null>(null);
  const { busy, error, setError, run } = useAction();

  useEffect(() => {
    DirectoryService.List().then((ds) => setTaken((ds ?? []).map((d) => d.name)), () => {});
    DirectoryService.DemoDefaults().then(setDemo, () => {});
  }, []);

  const set = (patch: Partial<backend.DirectoryInput>) => setInput((i) => ({ ...i, ...patch }));
  const next = (s: Step) => {
    setError(null);
    setStep(s);
  };

  const create = () =>
    run(async () => {
      const d = created ? await DirectoryService.Update(created.id, input) : await DirectoryService.Create(input);
      setCreated(d);
      next('signin');
    });

  const stepIndex = order.indexOf(step);
  return (
    <PageLayout
      title="Add identity provider"
    >
      <div className="crumbs"><Breadcrumbs>
            <BreadcrumbsItem text="Identity providers" onClick={() => nav({ kind: 'list' })} />
            <BreadcrumbsItem text="Microsoft Azure AD" />
          </Breadcrumbs></div>
      <ol className="steps" aria-label="Steps">
        {order.map((s, i) => (
          <li key={s} className={i === stepIndex ? 'step current' : i < stepIndex ? 'step done' : 'step'} aria-current={i === stepIndex ? 'step' : undefined}>
            {stepTitles[s]}
          </li>
        ))}
      </ol>
      <section className="step-body" aria-labelledby="step-title" data-testid={`add-step-${step}`}>
        <h2 id="step-title" className="step-title">
          {stepTitles[step]}
        </h2>
        {error && <ErrorMessage error={error} />}

        {step === 'provider' && (
          <div className="tiles" role="radiogroup" aria-label="Identity provider">
            <button type="button" className="tile" role="radio" aria-checked="true" onClick={() => next('name')} data-testid="provider-azure">
              <strong>Microsoft Azure AD</strong> <Lozenge appearance="new">Nested groups</Lozenge>
              <span className="muted">Microsoft Entra ID, formerly Azure AD: users, groups and nested groups.</span>
            </button>
            {otherProviders.map((p) => (
              <div key={p} className="tile disabled" role="radio" aria-checked="false" aria-disabled="true">
                <strong>{p}</strong>
                <span className="muted">Not available in this app: connect it from admin.atlassian.com.</span>
              </div>
            ))}
          </div>
        )}

        {step === 'name' && (
          <Form
            onSubmit={() => {
              const err = validateName(input.name, taken);
              setNameError(err);
              if (!err) next('atlassian');
            }}
          >
            {({ formProps }) => (
              <form {...formProps} noValidate>
                <Field name="name" label="Directory name" isRequired>
                  {({ fieldProps }) => (
                    <>
                      <Textfield
                        {...fieldProps}
                        value={input.name}
                        maxLength={maxNameLength + 20}
                        onChange={(e) => {
                          set({ name: e.currentTarget.value });
                          setNameError(undefined);
                        }}
                        isInvalid={!!nameError}
                        testId="dir-name"
                      />
                      {nameError ? <FieldError testId="dir-name-error">{nameError}</FieldError> : <HelperMessage>For example, the name of your Entra tenant. Up to {maxNameLength} characters.</HelperMessage>}
                    </>
                  )}
                </Field>
                <fieldset className="fieldset">
                  <legend>User provisioning</legend>
                  <RadioGroup
                    name="provisioning"
                    value="automatic"
                    onChange={() => {}}
                    options={[
                      { name: 'provisioning', value: 'automatic', label: 'Automatically set up user provisioning' },
                      { name: 'provisioning', value: 'manual', label: 'Manually set up user provisioning', isDisabled: true },
                    ]}
                  />
                  <p className="muted">
                    Automatic provisioning reads users, groups and nested groups through Microsoft Graph and keeps every effective
                    membership. Manual provisioning (SCIM from the Entra gallery app, with SAML) is set up in Entra and
                    admin.atlassian.com, not in this app, and cannot flatten nested groups.
                  </p>
                </fieldset>
                <FormFooter>
                  <Button onClick={() => next('provider')}>Back</Button>
                  <Button type="submit" appearance="primary" testId="name-next">
                    Next
                  </Button>
                </FormFooter>
              </form>
            )}
          </Form>
        )}

        {step === 'atlassian' && (
          <AtlassianStep input={input} set={set} demo={demo} onBack={() => next('name')} onNext={() => next('microsoft')} />
        )}

        {step === 'microsoft' && (
          <div>
            <SectionMessage appearance="information" title="Register IdP Sync in Entra first">
              <ol className="tight">
                <li>In the Microsoft Entra admin center, register a new application (public client, redirect URI http://localhost).</li>
                <li>Add the delegated Microsoft Graph permissions User.Read.All, GroupMember.Read.All and Domain.Read.All.</li>
                <li>Grant admin consent, then copy the Application (client) ID and the Directory (tenant) ID here.</li>
              </ol>
              <p>The README's "Register the app in Entra" section has the full steps.</p>
            </SectionMessage>
            <label className="field-label" htmlFor="client-id">
              Application (client) ID
            </label>
            <Textfield id="client-id" value={input.clientId} onChange={(e) => set({ clientId: e.currentTarget.value })} testId="client-id" />
            <TenantField value={input.signInTenant ?? ''} onChange={(v) => set({ signInTenant: v })} />
            <label className="field-label" htmlFor="cloud">
              Microsoft cloud
            </label>
            <Select
              inputId="cloud"
              options={clouds}
              value={clouds.find((c) => c.value === input.cloud)}
              onChange={(o) => set({ cloud: o?.value ?? 'global' })}
              testId="cloud"
            />
            <div className="footer-buttons">
              <Button onClick={() => next('atlassian')}>Back</Button>
              <Button appearance="primary" onClick={create} isLoading={busy} isDisabled={!input.clientId.trim() || !!validateTenant(input.signInTenant ?? '')} testId="create-directory">
                {created ? 'Save and continue' : 'Save and continue to sign-in'}
              </Button>
            </div>
          </div>
        )}

        {step === 'signin' && created && <SignIn directoryId={created.id} onSignedIn={() => next('tenant')} />}

        {step === 'tenant' && created && (
          <div>
            <TenantCard directoryId={created.id} onSignedOut={() => next('signin')} />
            <div className="footer-buttons">
              <Button appearance="primary" onClick={() => nav({ kind: 'directory', id: created.id, tab: 'settings' })} testId="tenant-continue">
                Continue to sync settings
              </Button>
            </div>
          </div>
        )}
      </section>
    </PageLayout>
  );
}

/** The Atlassian side: SCIM directory URL and key, optional organization id and key, and the test. */
export function AtlassianStep({
  input,
  set,
  demo,
  directoryId = '',
  onBack,
  onNext,
  nextLabel = 'Next',
}: {
  input: backend.DirectoryInput;
  set: (p: Partial<backend.DirectoryInput>) => void;
  demo: app.DemoConnection | null;
  directoryId?: string;
  onBack?: () => void;
  onNext: () => void;
  nextLabel?: string;
}) {
  const [result, setResult] = useState<import('../api').atlassian.ConnectionReport | null>(null);
  const { busy: testing, error, run } = useAction();
  const test = () => {
    setResult(null);
    return run(async () => setResult(await DirectoryService.TestConnection(directoryId, input)));
  };
  const fillDemo = () =>
    demo &&
    set({
      clientId: demo.clientId ?? '',
      scimBaseUrl: demo.scimBaseUrl ?? '',
      scimApiKey: demo.scimApiKey ?? '',
      orgId: demo.orgId ?? '',
      orgApiKey: demo.orgApiKey ?? '',
      allowCustomHost: true,
    });
  const editing = directoryId !== '';
  // A test that failed for the SCIM URL or key blocks Next until one of them changes (and may
  // be tested again): the next steps would only fail later, further from the cause.
  const failed = !editing && result !== null && (!result.scimUrl.ok || !result.scimKey.ok);
  const edit = (p: Partial<backend.DirectoryInput>) => {
    if ('scimBaseUrl' in p || 'scimApiKey' in p) setResult(null);
    set(p);
  };
  return (
    <div>
      {demo?.demo && !editing && (
        <SectionMessage
          appearance="discovery"
          title="Demo tenant"
          actions={[
            <SectionMessageAction key="fill" onClick={fillDemo} testId="fill-demo">
              Fill in the demo values
            </SectionMessageAction>,
          ]}
        >
          <p>This app runs on emulated Microsoft and Atlassian services. Fill in their addresses and emulated keys to try every screen.</p>
        </SectionMessage>
      )}
      <SectionMessage appearance="information" title="Where these come from in admin.atlassian.com" testId="atlassian-guide">
        <ol className="tight">
          <li>
            Go to <strong>admin.atlassian.com</strong> › <strong>Security</strong> › <strong>Identity providers</strong> › <strong>Add identity provider</strong> ›{' '}
            <strong>Microsoft Azure AD</strong>, name the directory and choose <strong>Set up user provisioning</strong> (SCIM).
          </li>
          <li>
            Atlassian shows the <strong>Directory base URL</strong> and the <strong>API key</strong> once. Copy both here: the URL looks like{' '}
            <code>https://api.atlassian.com/scim/directory/1a2b3c4d-…</code>, the key is a long string of letters and digits. Leaving the page
            without copying the key means creating a new one (Regenerate API key).
          </li>
          <li>
            Optional: <strong>Settings</strong> › <strong>API keys</strong> › <strong>Create API key</strong> gives an organization ID (a UUID) and an
            organization API key. With them IdP Sync shows each domain’s claim status and finds groups that exist in your organization but not in
            the directory, before it writes.
          </li>
        </ol>
        <p>Directory API keys created since 2025 expire after one year. Keys are stored in your system keychain only.</p>
      </SectionMessage>
      <label className="field-label" htmlFor="scim-url">
        SCIM directory base URL
      </label>
      <Textfield
        id="scim-url"
        value={input.scimBaseUrl}
        placeholder="https://api.atlassian.com/scim/directory/…"
        onChange={(e) => edit({ scimBaseUrl: e.currentTarget.value })}
        testId="scim-url"
      />
      <label className="field-label" htmlFor="scim-key">
        Directory API key{editing && ' (leave empty to keep the stored key)'}
      </label>
      <Textfield id="scim-key" type="password" autoComplete="off" value={input.scimApiKey ?? ''} onChange={(e) => edit({ scimApiKey: e.currentTarget.value })} testId="scim-key" />
      <label className="field-label" htmlFor="key-created">
        API key created on (optional, to warn before it expires after a year)
      </label>
      <Textfield id="key-created" type="date" value={input.scimKeyCreated ?? ''} onChange={(e) => set({ scimKeyCreated: e.currentTarget.value })} testId="key-created" />
      <fieldset className="fieldset">
        <legend>Organization (optional: shows each domain's claim status)</legend>
        <label className="field-label" htmlFor="org-id">
          Organization ID
        </label>
        <Textfield id="org-id" value={input.orgId ?? ''} onChange={(e) => set({ orgId: e.currentTarget.value })} testId="org-id" />
        <label className="field-label" htmlFor="org-key">
          Organization API key{editing && ' (leave empty to keep the stored key)'}
        </label>
        <Textfield id="org-key" type="password" autoComplete="off" value={input.orgApiKey ?? ''} onChange={(e) => set({ orgApiKey: e.currentTarget.value })} testId="org-key" />
      </fieldset>
      <AdvancedEndpoints input={input} set={set} />
      {input.allowCustomHost && (
        <SectionMessage appearance="warning" title="A host other than api.atlassian.com is allowed">
          <p>Use this only for a proxy or the demo: keys are sent to the host in the URL.</p>
        </SectionMessage>
      )}
      <div className="row-gap top-gap">
        <Button onClick={test} isLoading={testing} testId="test-connection">
          Test connection
        </Button>
      </div>
      {error && <ErrorMessage error={error} />}
      {result && <ConnectionResult report={result} />}
      <div className="top-gap">
        <Checkbox
          isChecked={!!input.saveUntested}
          onChange={(e) => set({ saveUntested: e.currentTarget.checked })}
          label="Save even if the connection test fails (otherwise a key Atlassian refuses is not saved)"
          testId="save-untested"
        />
      </div>
      <div className="footer-buttons">
        {onBack && <Button onClick={onBack}>Back</Button>}
        {failed && (
          <span className="muted small" data-testid="atlassian-next-blocked">
            Fix what the test found, then test again.
          </span>
        )}
        <Button appearance="primary" onClick={onNext} isDisabled={failed || !input.scimBaseUrl.trim() || (!editing && !input.scimApiKey)} testId="atlassian-next">
          {nextLabel}
        </Button>
      </div>
    </div>
  );
}
