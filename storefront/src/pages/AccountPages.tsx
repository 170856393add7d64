import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useMutation } from 'urql';
import { ProblemMessage } from '../components/Status';
import { graphql } from '../gql';
import { setSession } from '../session';

const SignInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    login(email: $email, password: $password) { ...SessionTokens }
  }
`);

const RegisterMutation = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) { ...SessionTokens }
  }
`);

/** Where to go after signing in: back to the page that asked, on this site. */
function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignInPage() {
  const navigate = useNavigate();
  const next = useNext();
  const [state, signIn] = useMutation(SignInMutation);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await signIn({ email, password });
    if (result.data) {
      setSession(result.data.login);
      navigate(next, { replace: true });
    }
  };

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <form onSubmit={submit} aria-describedby={state.error ? 'sign-in-error' : undefined}>
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input id="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {state.error && (
          <div id="sign-in-error">
            <ProblemMessage error={state.error} />
          </div>
        )}
        <button type="submit" disabled={state.fetching}>
          {state.fetching ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        New here? <Link to={`/register?next=${encodeURIComponent(next)}`}>Create an account</Link>
      </p>
    </section>
  );
}

export function RegisterPage() {
  const navigate = useNavigate();
  const next = useNext();
  const [state, register] = useMutation(RegisterMutation);
  const [form, setForm] = useState({ name: '', email: '', password: '' });
  const update = (field: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setForm({ ...form, [field]: e.target.value });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await register({ input: form });
    if (result.data) {
      setSession(result.data.register);
      navigate(next, { replace: true });
    }
  };

  return (
    <section className="narrow">
      <h1>Create an account</h1>
      <form onSubmit={submit}>
        <label htmlFor="name">Name</label>
        <input id="name" autoComplete="name" required value={form.name} onChange={update('name')} />
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="email" required value={form.email} onChange={update('email')} />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          aria-describedby="password-hint"
          value={form.password}
          onChange={update('password')}
        />
        <p id="password-hint" className="hint">
          At least 10 characters, not a common password.
        </p>
        {state.error && <ProblemMessage error={state.error} />}
        <button type="submit" disabled={state.fetching}>
          {state.fetching ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <p>
        Already have an account? <Link to={`/sign-in?next=${encodeURIComponent(next)}`}>Sign in</Link>
      </p>
    </section>
  );
}
