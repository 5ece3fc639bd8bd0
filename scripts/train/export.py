"""Exports the trained networks to the pack folder in the Stable Diffusion ONNX layout, the
embedder in the layout transformers.js uses for CLIP, and the evaluation judge.

  /usr/bin/python3 scripts/train/export.py [--out models/atelier-tiny] [--parts sd,clip,judge]"""
import argparse
import json
import os
import shutil

import torch

import diffusion
import models
import train
import world

OPSET = 17


def dump(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2)
        f.write('\n')


def onnx(module, args, path, inputs, outputs, dynamic):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs,
                      dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)


def write_tokenizer(folder):
    dump(os.path.join(folder, 'tokenizer.json'), world.tokenizer_json())
    dump(os.path.join(folder, 'tokenizer_config.json'), world.tokenizer_config())
    dump(os.path.join(folder, 'special_tokens_map.json'), {
        k: world.tokenizer_config()[k] for k in ('bos_token', 'eos_token', 'pad_token', 'unk_token')})


class Decoder(torch.nn.Module):
    def __init__(self, ae):
        super().__init__()
        self.ae = ae

    def forward(self, latent_sample):
        return self.ae.decoder(latent_sample)


class Encoder(torch.nn.Module):
    def __init__(self, ae):
        super().__init__()
        self.ae = ae

    def forward(self, sample):
        return self.ae.encoder(sample)


def export_sd(out, timestep_dtype=torch.long):
    ae = train.load_ae()
    _, scale = torch.load(os.path.join(train.CKPT, 'latents.pt'))
    state = train.trained('unet')
    unet = models.UNet()
    unet.load_state_dict(state['ema_unet'])
    te = models.TextEncoder(len(world.TOKEN_ID), world.MAX_LENGTH)
    te.load_state_dict(state['ema_te'])
    L, D = world.MAX_LENGTH, 128
    batch = {0: 'batch'}
    onnx(te, (torch.zeros(1, L, dtype=torch.long),), f'{out}/text_encoder/model.onnx',
         ['input_ids'], ['last_hidden_state', 'pooler_output'], {'input_ids': batch, 'last_hidden_state': batch, 'pooler_output': batch})
    onnx(unet, (torch.randn(2, 4, 16, 16), torch.tensor([999, 999], dtype=timestep_dtype), torch.randn(2, L, D)),
         f'{out}/unet/model.onnx', ['sample', 'timestep', 'encoder_hidden_states'], ['out_sample'],
         {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'timestep': batch, 'encoder_hidden_states': batch,
          'out_sample': {0: 'batch', 2: 'height', 3: 'width'}})
    spatial = {0: 'batch', 2: 'height', 3: 'width'}
    onnx(Decoder(ae), (torch.randn(1, 4, 16, 16),), f'{out}/vae_decoder/model.onnx', ['latent_sample'], ['sample'],
         {'latent_sample': spatial, 'sample': spatial})
    onnx(Encoder(ae), (torch.randn(1, 3, 32, 32),), f'{out}/vae_encoder/model.onnx', ['sample'], ['latent_sample'],
         {'sample': spatial, 'latent_sample': spatial})
    vae = {'_class_name': 'AutoencoderKL', 'in_channels': 3, 'out_channels': 3, 'latent_channels': 4,
           'block_out_channels': [32, 64], 'sample_size': 32, 'scaling_factor': scale}
    dump(f'{out}/vae_decoder/config.json', vae)
    dump(f'{out}/vae_encoder/config.json', vae)
    dump(f'{out}/unet/config.json', {'_class_name': 'UNet2DConditionModel', 'sample_size': 16, 'in_channels': 4,
                                     'out_channels': 4, 'cross_attention_dim': D, 'block_out_channels': [48, 96, 128]})
    dump(f'{out}/text_encoder/config.json', {'architectures': ['CLIPTextModel'], 'hidden_size': D,
                                             'max_position_embeddings': L, 'vocab_size': len(world.TOKEN_ID)})
    dump(f'{out}/scheduler/scheduler_config.json', diffusion.SCHEDULER_CONFIG)
    write_tokenizer(f'{out}/tokenizer')
    dump(f'{out}/model_index.json', {
        '_class_name': 'OnnxStableDiffusionPipeline', '_diffusers_version': '0.30.0',
        'scheduler': ['diffusers', 'DDIMScheduler'], 'text_encoder': ['diffusers', 'OnnxRuntimeModel'],
        'tokenizer': ['transformers', 'CLIPTokenizerFast'], 'unet': ['diffusers', 'OnnxRuntimeModel'],
        'vae_decoder': ['diffusers', 'OnnxRuntimeModel'], 'vae_encoder': ['diffusers', 'OnnxRuntimeModel'],
        'safety_checker': [None, None], 'feature_extractor': [None, None], 'requires_safety_checker': False})
    shutil.copy(os.path.join(world.ROOT, 'scripts', 'world', 'vocabulary.json'), f'{out}/vocabulary.json')
    dump(f'{out}/atelier.json', {'name': os.path.basename(out), 'world': world.VOCAB['name'],
                                 'defaults': {'steps': 20, 'guidance': 4.0, 'scheduler': 'ddim', 'width': 32, 'height': 32,
                                              # Negative guidance of dislikes damages this model's shapes (measured): dislikes act through the rerank.
                                              'personalization': {'bPos': 0.85, 'bNeg': 0, 'negativePrompt': False}},
                                 'trained_steps': state['step']})


def export_clip(out):
    state = train.trained('clip')
    vision = models.VisionTower()
    vision.load_state_dict(state['vision'])
    text = models.TextTower(len(world.TOKEN_ID), world.MAX_LENGTH)
    text.load_state_dict(state['text'])
    scale = float(state['scale']['logit_scale'].exp())
    folder = f'{out}/clip'
    onnx(vision, (torch.randn(1, 3, 32, 32),), f'{folder}/onnx/vision_model.onnx', ['pixel_values'], ['image_embeds'],
         {'pixel_values': {0: 'batch'}, 'image_embeds': {0: 'batch'}})
    onnx(text, (torch.zeros(1, world.MAX_LENGTH, dtype=torch.long),), f'{folder}/onnx/text_model.onnx', ['input_ids'],
         ['text_embeds'], {'input_ids': {0: 'batch'}, 'text_embeds': {0: 'batch'}})
    dump(f'{folder}/config.json', {'model_type': 'clip', 'architectures': ['CLIPModel'], 'projection_dim': 64,
                                   'logit_scale': scale, 'trained_steps': state['step']})
    dump(f'{folder}/preprocessor_config.json', {
        'image_processor_type': 'CLIPImageProcessor', 'do_resize': True, 'size': {'shortest_edge': 32},
        'do_center_crop': True, 'crop_size': {'height': 32, 'width': 32}, 'do_rescale': True,
        'rescale_factor': 1 / 255, 'do_normalize': True, 'image_mean': [0.5, 0.5, 0.5], 'image_std': [0.5, 0.5, 0.5]})
    write_tokenizer(folder)


def export_judge(out):
    classes = [len(world.VOCAB['families'][f]['values']) for f in world.FAMILIES]
    state = train.trained('judge')
    judge = models.Judge(classes)
    judge.load_state_dict(state['judge'])

    class Stacked(torch.nn.Module):
        def __init__(self, j):
            super().__init__()
            self.j = j

        def forward(self, pixel_values):
            return tuple(self.j(pixel_values))

    names = [f'logits_{f}' for f in world.FAMILIES]
    onnx(Stacked(judge), (torch.randn(1, 3, 32, 32),), f'{out}/judge/model.onnx', ['pixel_values'], names,
         {n: {0: 'batch'} for n in ['pixel_values'] + names})
    acc = train.judge_accuracy(judge, world.Split('test'), n=5000)
    dump(f'{out}/judge/config.json', {'families': world.FAMILIES, 'trained_steps': state['step'],
                                      'input': 'pixel_values [B,3,32,32] in [-1,1]', 'accuracy_on_fresh_renders': acc})


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', default=os.path.join(world.ROOT, 'models', 'atelier-tiny'))
    p.add_argument('--parts', default='sd,clip,judge')
    args = p.parse_args()
    torch.set_num_threads(2)
    parts = args.parts.split(',')
    if 'sd' in parts:
        export_sd(args.out)
    if 'clip' in parts:
        export_clip(args.out)
    if 'judge' in parts:
        export_judge(args.out)
    for log in ('ae', 'judge', 'unet', 'unet_eval', 'clip'):
        src = os.path.join(train.CKPT, f'{log}.log.jsonl')
        if os.path.exists(src):
            os.makedirs(f'{args.out}/training', exist_ok=True)
            shutil.copy(src, f'{args.out}/training/{log}.log.jsonl')


if __name__ == '__main__':
    main()
