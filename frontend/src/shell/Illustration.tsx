import { token } from '@atlaskit/tokens';

/** A small drawing in Atlassian's empty-state manner: a directory linked to an organization. */
export function DirectoryIllustration() {
  return (
    <svg width="160" height="120" viewBox="0 0 160 120" aria-hidden="true" className="empty-illustration">
      <rect x="10" y="30" width="56" height="64" rx="6" fill={token('color.background.accent.blue.subtlest')} stroke={token('color.border.accent.blue')} strokeWidth="2" />
      <circle cx="38" cy="52" r="9" fill={token('color.background.accent.blue.subtle')} />
      <rect x="22" y="68" width="32" height="5" rx="2.5" fill={token('color.background.accent.blue.subtle')} />
      <rect x="26" y="78" width="24" height="5" rx="2.5" fill={token('color.background.accent.blue.subtler')} />
      <path d="M70 62h20" stroke={token('color.border.accent.purple')} strokeWidth="3" strokeDasharray="4 4" strokeLinecap="round" />
      <path d="M86 56l8 6-8 6" fill="none" stroke={token('color.border.accent.purple')} strokeWidth="3" strokeLinecap="round" strokeLinejoin="round" />
      <rect x="98" y="26" width="52" height="72" rx="6" fill={token('color.background.accent.purple.subtlest')} stroke={token('color.border.accent.purple')} strokeWidth="2" />
      <circle cx="114" cy="46" r="6" fill={token('color.background.accent.purple.subtle')} />
      <circle cx="134" cy="46" r="6" fill={token('color.background.accent.purple.subtle')} />
      <circle cx="114" cy="66" r="6" fill={token('color.background.accent.purple.subtle')} />
      <circle cx="134" cy="66" r="6" fill={token('color.background.accent.purple.subtle')} />
      <rect x="108" y="82" width="32" height="5" rx="2.5" fill={token('color.background.accent.purple.subtler')} />
    </svg>
  );
}
