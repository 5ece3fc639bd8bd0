// General art terms for real models (Stable Diffusion and the like), grouped in families.
// An exclusive family's values contradict each other ("watercolor" vs "oil painting"), so a
// prompt naming one never gets another added. ViPer's categories: colours, style,
// composition, mood, medium, texture, lighting, perspective; never subject matter.
// The first entry of each term is its canonical text; the rest are aliases.

export interface ArtFamily {
  readonly name: string;
  readonly exclusive: boolean;
  readonly terms: readonly (readonly string[])[];
}

export const ART_FAMILIES: readonly ArtFamily[] = [
  {
    name: 'colour',
    exclusive: true,
    terms: [['red'], ['orange'], ['yellow'], ['green'], ['blue'], ['purple', 'violet'], ['pink'], ['brown'], ['gold', 'golden']],
  },
  {
    name: 'medium',
    exclusive: true,
    terms: [
      ['watercolor', 'watercolour', 'watercolors', 'watercolours'], ['oil painting', 'oil paint', 'oils'],
      ['acrylic painting'], ['pencil sketch', 'pencil drawing', 'sketch'], ['charcoal drawing'], ['ink drawing', 'ink'],
      ['digital art', 'digital painting'], ['photograph', 'photo', 'photography'], ['3d render', '3d', 'cgi'],
      ['pixel art'], ['vector art', 'flat illustration'], ['collage'],
    ],
  },
  { name: 'realism', exclusive: true, terms: [['photorealistic', 'realistic', 'realism'], ['cartoon', 'cartoonish'], ['anime', 'manga'], ['abstract']] },
  {
    name: 'art style',
    exclusive: false,
    terms: [
      ['impressionist', 'impressionism'], ['surreal', 'surrealism', 'surrealist'], ['art nouveau'], ['art deco'], ['pop art'],
      ['cyberpunk'], ['steampunk'], ['vaporwave'], ['baroque'], ['ukiyo-e'], ['retro', 'vintage'], ['futuristic'],
    ],
  },
  {
    name: 'saturation',
    exclusive: true,
    terms: [
      ['vibrant colors', 'vibrant colours', 'vibrant', 'vivid', 'saturated', 'colorful', 'colourful'],
      ['muted colors', 'muted colours', 'muted', 'desaturated', 'washed out'], ['pastel colors', 'pastel colours', 'pastel', 'pastels'],
      ['monochrome', 'monochromatic'], ['black and white', 'greyscale', 'grayscale'],
    ],
  },
  { name: 'temperature', exclusive: true, terms: [['warm tones', 'warm colors', 'warm colours', 'warm'], ['cool tones', 'cool colors', 'cool colours', 'cold tones']] },
  { name: 'brightness', exclusive: true, terms: [['bright', 'airy', 'light and airy'], ['dark', 'gloomy', 'dim']] },
  { name: 'contrast', exclusive: true, terms: [['high contrast'], ['low contrast']] },
  {
    name: 'lighting',
    exclusive: false,
    terms: [
      ['soft lighting', 'soft light', 'diffuse light'], ['dramatic lighting', 'dramatic light'], ['golden hour'], ['backlit', 'backlighting'],
      ['rim lighting', 'rim light'], ['neon lights', 'neon', 'neon lighting'], ['natural light', 'natural lighting', 'daylight'],
      ['cinematic lighting', 'cinematic'], ['harsh lighting', 'harsh light', 'harsh shadows'],
    ],
  },
  { name: 'complexity', exclusive: true, terms: [['minimalist', 'minimal', 'minimalism', 'simple', 'clean'], ['busy', 'cluttered', 'chaotic', 'crowded', 'maximalist']] },
  { name: 'focus', exclusive: true, terms: [['sharp focus', 'crisp', 'sharp'], ['soft focus', 'blurry', 'dreamy blur']] },
  {
    name: 'texture',
    exclusive: false,
    terms: [['highly detailed', 'detailed', 'intricate', 'intricate details'], ['smooth', 'glossy'], ['film grain', 'grainy', 'grain', 'noisy'], ['visible brushstrokes', 'brushstrokes', 'painterly']],
  },
  { name: 'framing', exclusive: true, terms: [['close-up', 'close up', 'closeup', 'macro'], ['wide shot', 'wide angle', 'panoramic']] },
  { name: 'perspective', exclusive: true, terms: [["bird's-eye view", 'birds eye view', 'aerial view', 'top-down'], ['low angle', "worm's-eye view"], ['isometric'], ['eye level']] },
  { name: 'composition', exclusive: false, terms: [['symmetrical', 'symmetry'], ['rule of thirds'], ['centered composition', 'centered'], ['negative space']] },
  { name: 'mood', exclusive: true, terms: [['cheerful', 'happy', 'joyful', 'playful'], ['melancholic', 'sad', 'somber'], ['eerie', 'creepy', 'unsettling'], ['serene', 'calm', 'peaceful'], ['moody', 'brooding']] },
];
