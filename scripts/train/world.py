"""The world's data for training: rendered scenes written by scripts/world/write-dataset.ts,
captions built from scripts/world/vocabulary.json, and the pack's word-level tokenizer."""
import json
import os

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
VOCAB = json.load(open(os.path.join(ROOT, 'scripts', 'world', 'vocabulary.json')))
FAMILIES = VOCAB['caption_order']
MAX_LENGTH = 32
SPECIALS = ['<|pad|>', '<|startoftext|>', '<|endoftext|>', '<|unk|>']
PAD, BOS, EOS, UNK = 0, 1, 2, 3


def _words(phrase):
    return phrase.replace(',', ' , ').split()


def word_list():
    words = ['a', 'shape', ',']
    for fam in VOCAB['families'].values():
        for phrase in fam['phrases'].values():
            words += _words(phrase)
        if fam.get('fallback'):
            words += _words(fam['fallback'])
    seen = []
    for w in words:
        if w not in seen:
            seen.append(w)
    return seen


WORDS = word_list()
TOKEN_ID = {t: i for i, t in enumerate(SPECIALS + WORDS)}


def tokenizer_json():
    """A WordPiece tokenizer over whole words: words outside the world become <|unk|>."""
    special = lambda i, t: {'id': i, 'content': t, 'single_word': False, 'lstrip': False,
                            'rstrip': False, 'normalized': False, 'special': True}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [special(i, t) for i, t in enumerate(SPECIALS)],
        'normalizer': {'type': 'Lowercase'},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '<|startoftext|>', 'type_id': 0}},
                       {'Sequence': {'id': 'A', 'type_id': 0}},
                       {'SpecialToken': {'id': '<|endoftext|>', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '<|startoftext|>', 'type_id': 0}},
                     {'Sequence': {'id': 'A', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 0}},
                     {'SpecialToken': {'id': '<|endoftext|>', 'type_id': 0}}],
            'special_tokens': {t: {'id': t, 'ids': [TOKEN_ID[t]], 'tokens': [t]}
                               for t in ('<|startoftext|>', '<|endoftext|>')},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '<|unk|>', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': TOKEN_ID},
    }


def tokenizer_config():
    return {'model_max_length': MAX_LENGTH, 'bos_token': '<|startoftext|>', 'eos_token': '<|endoftext|>',
            'pad_token': '<|pad|>', 'unk_token': '<|unk|>', 'do_lower_case': True,
            'tokenizer_class': 'PreTrainedTokenizerFast'}


def tokenize(text):
    ids = [BOS] + [TOKEN_ID.get(w, UNK) for w in _words(text.lower())][:MAX_LENGTH - 2] + [EOS]
    return ids + [PAD] * (MAX_LENGTH - len(ids))


def caption(attr_idx, keep):
    """attr_idx: value index per family (caption_order); keep: bool per family."""
    words, tail = ['a'], ''
    for f, name in enumerate(FAMILIES):
        fam = VOCAB['families'][name]
        phrase = fam['phrases'][fam['values'][attr_idx[f]]] if keep[f] else fam.get('fallback')
        if phrase is None:
            continue
        if phrase.startswith(','):
            tail += phrase
        else:
            words.append(phrase)
    return ' '.join(words) + tail


def random_captions(attrs, rng, drop=0.4, uncond=0.0):
    """Token ids [B, L] and the keep mask [B, F] for a batch of attribute rows."""
    keep = rng.random((len(attrs), len(FAMILIES))) >= drop
    if uncond > 0:
        keep[rng.random(len(attrs)) < uncond] = False
    ids = []
    for a, k in zip(attrs, keep):
        text = '' if not k.any() and uncond > 0 else caption(a, k)
        ids.append(tokenize(text))
    return torch.tensor(ids, dtype=torch.long), keep


class Split:
    """A split written by write-dataset.ts, as uint8 arrays in memory."""

    def __init__(self, name):
        d = os.path.join(ROOT, 'data', 'world', name)
        meta = json.load(open(os.path.join(d, 'meta.json')))
        assert meta['families'] == FAMILIES, 'dataset was written with another vocabulary'
        s = meta['size']
        self.size = s
        self.images = np.fromfile(os.path.join(d, 'images.bin'), dtype=np.uint8).reshape(meta['n'], s, s, 3)
        self.attrs = np.fromfile(os.path.join(d, 'attrs.bin'), dtype=np.uint8).reshape(meta['n'], len(FAMILIES)).astype(np.int64)

    def __len__(self):
        return len(self.images)

    def pixels(self, idx):
        """Images as float [B,3,H,W] in [-1, 1]."""
        x = torch.from_numpy(self.images[idx]).permute(0, 3, 1, 2).float()
        return x / 127.5 - 1.0
