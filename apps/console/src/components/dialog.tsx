import { useEffect, useRef, type FormEvent, type ReactNode } from 'react';

/**
 * A modal dialog on the native `<dialog>` (focus moves in, Escape closes, focus returns to the
 * opener): a form whose submit calls `onSubmit` with its fields.
 */
export function FormDialog({
  open,
  title,
  children,
  submitLabel,
  danger,
  busy,
  onSubmit,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  submitLabel: string;
  danger?: boolean;
  busy?: boolean;
  onSubmit: (form: FormData) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onSubmit(new FormData(event.currentTarget));
  };
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="dialog-title">
      <form onSubmit={submit}>
        <h2 id="dialog-title">{title}</h2>
        {children}
        <div className="form-actions">
          <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy}>
            {busy ? 'Sending…' : submitLabel}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
