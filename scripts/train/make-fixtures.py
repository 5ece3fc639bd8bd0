"""Writes two tiny random-weight SD-layout exports for the runtime's tests, one for each
timestep convention seen in the wild:
  test/fixtures/tiny-sd-int64-timestep/  timestep int64 [B], input_ids int64 (diffusers' script)
  test/fixtures/tiny-sd-float-timestep/  timestep float scalar [], input_ids int32 (Optimum)
The weights are random: these check loading and I/O conventions, not image quality.

  /usr/bin/python3 scripts/train/make-fixtures.py"""
import os

import torch

import diffusion
import export
import models
import world


class ScalarTimestepUNet(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep.reshape(1), encoder_hidden_states)


class Int32Ids(torch.nn.Module):
    def __init__(self, te):
        super().__init__()
        self.te = te

    def forward(self, input_ids):
        return self.te(input_ids.long())


def write(out, scalar_timestep):
    torch.manual_seed(1)
    L, D = world.MAX_LENGTH, 32
    te = models.TextEncoder(len(world.TOKEN_ID), L, dim=D, layers=1)
    unet = models.UNet(ctx_dim=D, ch=(16, 16, 16), emb=32)
    ae = models.AutoEncoder(ch=16)
    batch = {0: 'batch'}
    spatial = {0: 'batch', 2: 'height', 3: 'width'}
    if scalar_timestep:
        export.onnx(Int32Ids(te), (torch.zeros(1, L, dtype=torch.int32),), f'{out}/text_encoder/model.onnx',
                    ['input_ids'], ['last_hidden_state', 'pooler_output'], {'input_ids': batch, 'last_hidden_state': batch, 'pooler_output': batch})
        export.onnx(ScalarTimestepUNet(unet), (torch.randn(2, 4, 16, 16), torch.tensor(999.0), torch.randn(2, L, D)),
                    f'{out}/unet/model.onnx', ['sample', 'timestep', 'encoder_hidden_states'], ['out_sample'],
                    {'sample': spatial, 'encoder_hidden_states': batch, 'out_sample': spatial})
    else:
        export.onnx(te, (torch.zeros(1, L, dtype=torch.long),), f'{out}/text_encoder/model.onnx',
                    ['input_ids'], ['last_hidden_state', 'pooler_output'], {'input_ids': batch, 'last_hidden_state': batch, 'pooler_output': batch})
        export.onnx(unet, (torch.randn(2, 4, 16, 16), torch.tensor([999, 999]), torch.randn(2, L, D)),
                    f'{out}/unet/model.onnx', ['sample', 'timestep', 'encoder_hidden_states'], ['out_sample'],
                    {'sample': spatial, 'timestep': batch, 'encoder_hidden_states': batch, 'out_sample': spatial})
    export.onnx(export.Decoder(ae), (torch.randn(1, 4, 16, 16),), f'{out}/vae_decoder/model.onnx', ['latent_sample'], ['sample'],
                {'latent_sample': spatial, 'sample': spatial})
    export.dump(f'{out}/vae_decoder/config.json', {'latent_channels': 4, 'block_out_channels': [16, 16], 'scaling_factor': 0.5})
    export.dump(f'{out}/scheduler/scheduler_config.json', diffusion.SCHEDULER_CONFIG)
    export.write_tokenizer(f'{out}/tokenizer')
    export.dump(f'{out}/model_index.json', {'_class_name': 'OnnxStableDiffusionPipeline'})
    export.dump(f'{out}/atelier.json', {'name': os.path.basename(out), 'defaults': {'steps': 4, 'guidance': 3.0, 'scheduler': 'ddim', 'width': 32, 'height': 32}})


if __name__ == '__main__':
    root = os.path.join(world.ROOT, 'test', 'fixtures')
    write(os.path.join(root, 'tiny-sd-int64-timestep'), scalar_timestep=False)
    write(os.path.join(root, 'tiny-sd-float-timestep'), scalar_timestep=True)
