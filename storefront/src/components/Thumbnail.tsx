// A drawn stand-in for a product photo. The demo catalog's image URLs are
// placeholders on a host that does not exist, and a storefront should not
// make requests that can only fail; real images arrive with uploads.
const HUES = [210, 160, 30, 280, 340, 100];

export function Thumbnail({ name, size = 'small' }: { name: string; size?: 'small' | 'large' }) {
  const hue = HUES[[...name].reduce((sum, c) => sum + c.charCodeAt(0), 0) % HUES.length];
  return (
    <div className={`thumbnail ${size}`} style={{ background: `hsl(${hue} 45% 88%)` }} aria-hidden="true">
      <span style={{ color: `hsl(${hue} 60% 22%)` }}>{name.slice(0, 1)}</span>
    </div>
  );
}
