import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttributeCatalog, normalizeAttribute } from '../../prefs/attributes.ts';
import { PrefsInputError } from '../../prefs/errors.ts';
import { LocalAttributeExtractor, MAX_COMMENT_CHARS } from '../../prefs/local-extractor.ts';
import { MalformedReplyError, MAX_KEYWORDS, parseViperReply } from '../../prefs/viper-format.ts';
import { vocabulary } from '../../scripts/world/vocabulary.ts';

const catalog = AttributeCatalog.create({ world: vocabulary });
const extractor = new LocalAttributeExtractor(catalog);
const read = (text: string) => extractor.extractSync(text);

test('the catalog holds the world phrases and general art terms, and knows what contradicts what', () => {
  assert.equal(catalog.lookup('on a teal background')?.text, 'teal background');
  assert.equal(catalog.lookup('Stripes')?.text, 'striped');
  assert.equal(catalog.lookup('watercolour')?.text, 'watercolor');
  const stated = catalog.mentioned('a red circle, on a sand background, watercolor');
  assert.deepEqual(stated.map((d) => d.text), ['red', 'sand background', 'watercolor']);
  assert.equal(catalog.conflictWith(catalog.lookup('blue')!, stated)?.text, 'red');
  assert.equal(catalog.conflictWith(catalog.lookup('teal background')!, stated)?.text, 'sand background');
  assert.equal(catalog.conflictWith(catalog.lookup('oil painting')!, stated)?.text, 'watercolor');
  assert.equal(catalog.conflictWith(catalog.lookup('film grain')!, stated), undefined, 'texture terms combine');
  assert.equal(catalog.mentioned('golden hour light').map((d) => d.text).join(), 'golden hour', 'longest alias wins');
  assert.equal(catalog.mentioned('a pink cat').length, 1, '"ink" inside "pink" is no mention');
});

test('negation and intensity cues set each keyword\'s side and weight', () => {
  assert.deepEqual(read('I love the red!'), { liked: ['red'], disliked: [], weights: { red: 1.8 } });
  const mixed = read('Not a fan of the teal background, but I really love the stripes');
  assert.deepEqual([mixed.liked, mixed.disliked], [['striped'], ['teal background']]);
  assert.ok(mixed.weights!.striped! > mixed.weights!['teal background']!, 'really love > not a fan');
  assert.deepEqual(read('Way too busy.').disliked, ['busy']);
  assert.deepEqual(read('less saturated, more pastel').disliked, ['vibrant colors']);
  assert.deepEqual(read('less saturated, more pastel').liked, ['pastel colors']);
  assert.deepEqual([...read("I don't like the spotlight and the checks").disliked].sort(), ['checkered', 'spotlight']);
  assert.deepEqual(read('I hate it when it is outlined').disliked, ['outlined']);
  assert.deepEqual(read('no stripes please').disliked, ['striped']);
  assert.ok(read('I slightly prefer blue').weights!.blue! < read('I absolutely adore blue').weights!.blue!);
  // "not too busy" says what the person does not mind, not what they like.
  assert.deepEqual(read('I like that it is not too busy'), { liked: [], disliked: [], weights: {} });
  // A keyword said both ways is dropped (ViPer).
  assert.deepEqual(read('The red is nice. The red is ugly.'), { liked: [], disliked: [], weights: {} });
  // Statements without a cue, and subject matter, say nothing.
  assert.deepEqual(read('It is a red circle of a cat'), { liked: [], disliked: [], weights: {} });
});

test('empty, absurd and hostile comments are handled gracefully', async () => {
  assert.deepEqual(await extractor.extract(''), { liked: [], disliked: [], weights: {} });
  assert.deepEqual(await extractor.extract('   \n\t '), { liked: [], disliked: [], weights: {} });
  const start = performance.now();
  const huge = read(`${'love the red '.repeat(50)}${'x'.repeat(2_000_000)} hate the blue`);
  assert.ok(performance.now() - start < 1000, 'a 2 MB comment is cut, not scanned');
  assert.deepEqual(huge.liked, ['red']);
  assert.deepEqual(huge.disliked, [], 'what lies past the cut is not read');
  assert.ok(MAX_COMMENT_CHARS >= 1000);
  assert.throws(() => read(42 as unknown as string), PrefsInputError);
  assert.equal(normalizeAttribute('x'.repeat(500)), null);
  assert.equal(normalizeAttribute('  **Vibrant   Colors** '), 'vibrant colors');
  assert.equal(normalizeAttribute('!!!'), null);
});

test('ViPer replies are read in their canonical form and in the ways models garble it', () => {
  assert.deepEqual(parseViperReply('Liked Art Features: vibrant colors, Teal background, film grain\nDisliked Art Features: busy, dark'), {
    liked: ['vibrant colors', 'teal background', 'film grain'], disliked: ['busy', 'dark'],
  });
  const markdown = [
    'Sure! Here is the analysis.', '', '**Liked Art Features:**', '- soft lighting', '- pastel colors', '',
    '**Disliked Art Features:** None', '', 'I hope this helps you find images you love.',
  ].join('\n');
  assert.deepEqual(parseViperReply(markdown), { liked: ['soft lighting', 'pastel colors'], disliked: [] });
  assert.deepEqual(parseViperReply('Likes:\n1. minimalism\n2) muted\nDislikes: clutter; neon'), { liked: ['minimalism', 'muted'], disliked: ['clutter', 'neon'] });
  assert.deepEqual(parseViperReply('Liked Art Features: red, blue\nDisliked Art Features: blue, green'), { liked: ['red'], disliked: ['green'] }, 'keywords in both lists are dropped');
  assert.deepEqual(parseViperReply('Disliked Art Features: harsh shadows'), { liked: [], disliked: ['harsh shadows'] });
  const flood = parseViperReply(`Liked Art Features: ${Array.from({ length: 500 }, (_, i) => `style${i}`).join(', ')}, ${'y'.repeat(5000)}`);
  assert.equal(flood.liked.length, MAX_KEYWORDS, 'a runaway list is capped');
  assert.ok(flood.liked.every((k) => k.length < 60));
  assert.throws(() => parseViperReply('I cannot help with that.'), MalformedReplyError);
  assert.throws(() => parseViperReply(''), MalformedReplyError);
  assert.throws(() => parseViperReply(undefined), MalformedReplyError);
});
