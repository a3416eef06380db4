import Heading from '@atlaskit/heading';
import type { ReactNode } from 'react';

/** The frame of every admin page: title, one-line description, optional actions, content. */
export function PageLayout({
  title,
  description,
  actions,
  children,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="page">
      <div className="page-header">
        <Heading as="h1" size="large">
          {title}
        </Heading>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {description && <p className="page-description">{description}</p>}
      <div className="page-content">{children}</div>
    </div>
  );
}
