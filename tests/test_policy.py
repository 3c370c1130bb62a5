"""The policy: tokenizer round trips, the model's padding and cache invariances, deterministic sampling,
checkpoints, and the optional Hugging Face backend."""

from __future__ import annotations

import copy
import logging
import math
import subprocess
import sys

import pytest
import torch

from execrl.policy.model import (
    GPT,
    IGNORE_INDEX,
    GPTConfig,
    KVCache,
    checkpoint_tokenizer,
    load_checkpoint,
    prompt_group_scores,
    resolve_device,
    save_checkpoint,
    token_entropy,
    token_logprobs,
    token_logprobs_and_entropy,
)
from execrl.policy.grouped import generate_grouped
from execrl.policy.sampling import GPTPolicy, completion_scores, generate, pack_batch, sample_next_token
from execrl.rl.pretrain import supervised_loss
from execrl.policy.tokenizer import BOS_ID, EOS_ID, N_ASCII, PAD_ID, PIECES, SPECIAL_TOKENS, UNK_ID, Tokenizer
from execrl.tasks.procedural import generate_suite

logger = logging.getLogger(__name__)

TINY = GPTConfig(n_layer=2, n_head=2, n_embd=32, block_size=256)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny matrices: one thread is faster than two contending ones, and timing-independent."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def suite():
    return generate_suite(seed=0, tasks_per_level=20, variants=("single", "multi_step"))


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer()


@pytest.fixture(scope="module")
def tiny():
    return GPT(TINY, seed=0).eval()


@pytest.fixture(scope="module")
def prompts(suite, tokenizer):
    """Prompts of different lengths (a level-1 single task, a level-2 multi-step one...), cut to fit TINY."""
    chosen = [suite[0], suite[45], suite[90], suite[-1]]
    return [tokenizer.encode_prompt(task.prompt)[:120] for task in chosen]


# --- tokenizer -----------------------------------------------------------------------------------


def test_tokenizer_round_trips_the_procedural_suite(suite, tokenizer, record_property):
    tokens = chars = 0
    for task in suite:
        for completion in (task.canonical_solution, task.shortcut_solution):
            text = task.prompt + completion
            ids = tokenizer.encode(text)
            assert tokenizer.decode(ids) == text, task.task_id
            # no piece spans a newline, so the prompt/completion boundary is the same either way
            assert tokenizer.encode(task.prompt) + tokenizer.encode(completion) == ids, task.task_id
            assert UNK_ID not in ids
        tokens += len(tokenizer.encode(task.prompt + task.canonical_solution))
        chars += len(task.prompt + task.canonical_solution)
    ratio = tokens / chars
    record_property("tokens_per_char", round(ratio, 4))
    logger.info("procedural suite: %d chars -> %d tokens (%.3f tokens per char)", chars, tokens, ratio)
    assert ratio < 0.4  # measured 0.336; characters alone would be 1.0


def test_longest_task_fits_the_default_block_size(suite, tokenizer, record_property):
    lengths = {
        task.task_id: len(tokenizer.encode_prompt(task.prompt))
        + len(tokenizer.encode_completion(task.canonical_solution))
        for task in suite
    }
    task_id, longest = max(lengths.items(), key=lambda item: item[1])
    record_property("longest_task_tokens", longest)
    logger.info("longest prompt + completion: %s, %d tokens", task_id, longest)
    assert task_id.startswith("proc-ms/L4/")
    # room for a multi-turn prompt, which quotes the previous attempt and its feedback (~780 measured)
    assert 2 * longest < GPTConfig().block_size


def test_every_ascii_text_round_trips_and_other_text_is_unknown(tokenizer):
    everything = "".join(chr(i) for i in range(N_ASCII)) * 2 + "    return xs\n\tdef  "
    assert tokenizer.decode(tokenizer.encode(everything)) == everything
    assert tokenizer.encode("é➞") == [UNK_ID, UNK_ID]
    assert tokenizer.decode(tokenizer.encode("a➞b")) == "a\ufffdb"
    assert tokenizer.encode("") == []


def test_special_tokens_and_vocabulary(tokenizer):
    assert tokenizer.vocab_size == len(SPECIAL_TOKENS) + N_ASCII + len(PIECES)
    assert (tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.unk_id) == (PAD_ID, BOS_ID, EOS_ID, UNK_ID)
    assert tokenizer.encode_prompt("x") == [BOS_ID, *tokenizer.encode("x")]
    assert tokenizer.encode_completion("x") == [*tokenizer.encode("x"), EOS_ID]
    assert tokenizer.decode([BOS_ID, *tokenizer.encode("x"), EOS_ID, PAD_ID]) == "x"
    assert tokenizer.decode([BOS_ID, EOS_ID], skip_special=False) == "<bos><eos>"
    assert tokenizer.encode("<eos>") != [EOS_ID]  # text can never forge a special token
    with pytest.raises(ValueError):
        tokenizer.decode([tokenizer.vocab_size])
    # greedy longest match: one token for a whole indent and for a frequent phrase
    assert tokenizer.encode("    ") == [tokenizer.encode("    ")[0]] and len(tokenizer.encode("    ")) == 1
    assert len(tokenizer.encode(" (0 if there are none)")) == 1


def test_vocabulary_is_fixed_and_recorded(tokenizer):
    assert Tokenizer() == tokenizer and Tokenizer().fingerprint == tokenizer.fingerprint
    assert Tokenizer.from_spec(tokenizer.spec) == tokenizer
    other = Tokenizer(PIECES + ("zzz",))
    assert other.fingerprint != tokenizer.fingerprint
    with pytest.raises(ValueError):
        Tokenizer(("a\nb",))
    with pytest.raises(ValueError):
        Tokenizer(("ab", "ab"))


def test_importing_the_package_and_tokenizer_does_not_import_torch():
    code = (
        "import sys, execrl.policy; from execrl.policy import Tokenizer; Tokenizer().encode('x'); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- model ---------------------------------------------------------------------------------------


def test_default_config_is_a_few_million_parameters(record_property):
    model = GPT()
    count = model.num_parameters()
    record_property("default_parameters", count)
    logger.info("default config %s: %d parameters", model.config, count)
    assert 1_000_000 < count < 5_000_000
    assert model.lm_head.weight is model.wte.weight
    assert model.config.vocab_size == Tokenizer().vocab_size


def test_initialisation_depends_only_on_the_seed():
    torch.manual_seed(123)
    a = GPT(TINY, seed=7)
    torch.manual_seed(456)
    b = GPT(TINY, seed=7)
    c = GPT(TINY, seed=8)
    for (name, pa), pb, pc in zip(a.state_dict().items(), b.state_dict().values(), c.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert not torch.equal(a.wte.weight, c.wte.weight)


def test_config_is_validated():
    with pytest.raises(ValueError):
        GPTConfig(n_embd=30, n_head=4)
    with pytest.raises(ValueError):
        GPTConfig(dropout=1.0)


def test_loss_ignores_masked_targets(tiny):
    idx = torch.randint(4, TINY.vocab_size, (2, 12), generator=torch.Generator().manual_seed(0))
    targets = idx.roll(-1, dims=1)
    targets[:, :5] = IGNORE_INDEX
    logits, loss = tiny(idx, targets)
    keep = targets != IGNORE_INDEX
    expected = torch.nn.functional.cross_entropy(logits[keep], targets[keep])
    assert torch.allclose(loss, expected)
    assert tiny(idx).shape == (2, 12, TINY.vocab_size)


def test_padding_left_or_right_does_not_change_logprobs(tiny, prompts):
    sequences = [p[:40 + 17 * i] for i, p in enumerate(prompts)]
    alone = [token_logprobs(tiny, torch.tensor([s]))[0] for s in sequences]
    width = max(map(len, sequences))
    for side in ("left", "right"):
        batch = torch.full((len(sequences), width), PAD_ID)
        mask = torch.zeros_like(batch)
        for row, s in enumerate(sequences):
            span = slice(width - len(s), width) if side == "left" else slice(0, len(s))
            batch[row, span], mask[row, span] = torch.tensor(s), 1
        logp = token_logprobs(tiny, batch, mask)
        for row, s in enumerate(sequences):
            real = (mask[row, 1:] * mask[row, :-1]).bool()  # a real token predicted from a real one
            assert torch.allclose(logp[row][real], alone[row], atol=1e-5), (side, row)
            assert torch.all(logp[row][~real] == 0)


def test_kv_cache_gives_the_full_forward_logits(tiny, prompts):
    sequences = torch.tensor([p[:60] for p in prompts])
    full = tiny(sequences)
    cache = KVCache.allocate(TINY, len(prompts), 60, torch.device("cpu"), torch.float32)
    with torch.no_grad():
        parts = [tiny(sequences[:, :40], cache=cache)]
        parts += [tiny(sequences[:, t:t + 1], cache=cache) for t in range(40, 60)]
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-5)


def test_logprobs_and_entropy_are_distributions(tiny, prompts):
    batch = pack_batch(prompts[:2], [[10, 11, 12, EOS_ID], [13, EOS_ID]])
    logp, entropy = token_logprobs_and_entropy(tiny, batch.sequences, batch.attention_mask)
    assert logp.shape == entropy.shape == (2, batch.sequences.shape[1] - 1)
    assert torch.all(logp <= 0) and torch.all(entropy >= 0)
    assert torch.all(entropy <= math.log(TINY.vocab_size) + 1e-4)
    assert torch.equal(entropy, token_entropy(tiny, batch.sequences, batch.attention_mask))
    # differentiable: the RL losses backpropagate through it
    tiny.zero_grad()
    token_logprobs(tiny, batch.sequences, batch.attention_mask)[batch.loss_mask].sum().backward()
    assert tiny.wte.weight.grad is not None and tiny.wte.weight.grad.abs().sum() > 0
    tiny.zero_grad()


def test_completion_scores_match_one_padded_batch(tiny, prompts):
    """Scoring in length-sorted chunks gives each completion token the log-prob the whole batch gives
    it, row order kept, and stays differentiable."""
    batch_prompts = [prompts[0][:50], prompts[1][:12], prompts[2][:31], prompts[0][:7], prompts[1][:50]]
    completions = [[10, 11, 12, EOS_ID], [13, EOS_ID], [14, 15, 16, 17, 18, EOS_ID], [19], [20, 21, EOS_ID]]
    whole = pack_batch(batch_prompts, completions)
    expected = token_logprobs(tiny, whole.sequences, whole.attention_mask)[:, whole.prompt_width - 1 :]

    def score(sequences, mask):
        return (token_logprobs(tiny, sequences, mask),)

    (logp,), mask = completion_scores(score, batch_prompts, completions, rows_per_chunk=2)
    assert mask.tolist() == [[i < len(c) for i in range(6)] for c in completions]
    assert torch.allclose(logp[mask], expected[mask], atol=1e-5)
    assert torch.all(logp[~mask] == 0)
    tiny.zero_grad()
    logp[mask].sum().backward()
    assert tiny.wte.weight.grad is not None and tiny.wte.weight.grad.abs().sum() > 0
    tiny.zero_grad()


def test_a_group_sharing_a_prompt_scores_like_each_row_alone(tiny, prompts):
    """The prompt run once for a group (``SharedPrefix``) gives every completion token the log-prob,
    entropy and gradient of scoring each row by itself; rows of mixed prompts come back in order."""
    prompt = prompts[1][:40]
    completions = [[10, 11, 12, EOS_ID], [13], [14, 15, 16, 17, 18, EOS_ID]]

    def alone(completion):
        batch = pack_batch([prompt], [completion])
        logp, entropy = token_logprobs_and_entropy(tiny, batch.sequences, batch.attention_mask, 0.8)
        return logp[:, batch.prompt_width - 1 :][0], entropy[:, batch.prompt_width - 1 :][0]

    logp, entropy = prompt_group_scores(tiny, prompt, completions, 0.8)
    for row, completion in enumerate(completions):
        expected_logp, expected_entropy = alone(completion)
        assert torch.allclose(logp[row, : len(completion)], expected_logp, atol=1e-5)
        assert torch.allclose(entropy[row, : len(completion)], expected_entropy, atol=1e-5)
        assert torch.all(logp[row, len(completion) :] == 0)

    def gradient(total):
        tiny.zero_grad()
        total.backward()
        grad = tiny.wte.weight.grad.clone()
        tiny.zero_grad()
        return grad

    shared = gradient(prompt_group_scores(tiny, prompt, completions, 0.8)[0].sum())
    separate = gradient(sum(alone(c)[0].sum() for c in completions))
    assert torch.allclose(shared, separate, atol=1e-5) and shared.abs().sum() > 0

    mixed_prompts = [prompt, prompts[0][:9], prompt, prompts[0][:9]]
    mixed = [[10, EOS_ID], [11, 12, EOS_ID], [13], [14, EOS_ID]]
    (grouped, _), mask = GPTPolicy(tiny).score_completions(mixed_prompts, mixed)
    (chunked,), expected_mask = completion_scores(lambda s, m: (token_logprobs(tiny, s, m),), mixed_prompts, mixed)
    assert torch.equal(mask, expected_mask) and torch.allclose(grouped, chunked, atol=1e-5)


def test_generation_runs_each_distinct_prompt_once_with_the_same_result(tiny, prompts):
    """A group repeats its prompt; the prompt pass runs once per distinct prompt and every row
    still decodes as if it had been prefilled alone."""
    repeated = [prompts[0], prompts[2], prompts[0], prompts[2], prompts[1]]
    calls = []
    handle = tiny.wte.register_forward_hook(lambda module, args, out: calls.append(args[0].shape))
    try:
        grouped = generate(tiny, repeated, 12, temperature=0.0)
    finally:
        handle.remove()
    assert calls[0][0] == 3  # the prompt pass: three distinct prompts
    alone = [generate(tiny, [p], 12, temperature=0.0).completions[0] for p in repeated]
    assert grouped.completions == alone


# --- sampling ------------------------------------------------------------------------------------


def test_cached_greedy_generation_equals_full_recompute(tiny, prompts):
    cached = generate(tiny, prompts, 24, temperature=0.0)
    uncached = generate(tiny, prompts, 24, temperature=0.0, use_cache=False)
    assert cached.completions == uncached.completions
    assert all(len(c) > 0 for c in cached.completions)


def test_sampling_is_deterministic_under_a_seeded_generator(tiny, prompts):
    def sample(seed, **kwargs):
        return generate(tiny, prompts, 20, generator=torch.Generator().manual_seed(seed), **kwargs).completions

    assert sample(0, temperature=1.0) == sample(0, temperature=1.0)
    assert sample(0, temperature=1.0) != sample(1, temperature=1.0)
    assert sample(3, temperature=0.7, top_p=0.9) == sample(3, temperature=0.7, top_p=0.9)
    # a tiny top_p keeps only the most likely token: greedy, whatever the generator
    greedy = generate(tiny, prompts, 20, temperature=0.0).completions
    assert sample(5, temperature=1.0, top_p=1e-6) == greedy
    with pytest.raises(ValueError):
        generate(tiny, prompts, 4, temperature=1.0)  # sampling without a generator


def test_grouped_sampling_gives_the_general_paths_completions(tiny, prompts):
    """The RL path (each group's prompt held once, finished rows leaving the batch) draws the same
    uniforms and so, up to float rounding in attention, samples the same completions."""
    repeated = [prompts[i] for i in (0, 2, 0, 1, 2, 0, 3, 1)]
    eager = copy.deepcopy(tiny)  # a head that favours eos, so that rows end at many different steps
    eager.lm_head = torch.nn.Linear(TINY.n_embd, TINY.vocab_size)
    with torch.no_grad():
        eager.lm_head.weight.copy_(tiny.wte.weight)
        eager.lm_head.bias.zero_()[EOS_ID] = 4.0
    smallest_batch = len(repeated)
    for temperature, top_p in ((1.0, 1.0), (0.8, 0.95), (0.0, 1.0)):
        general, grouped = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
        expected = generate(eager, repeated, 30, temperature, top_p, general)
        batch_sizes = []
        handle = eager.wpe.register_forward_hook(lambda module, args, out: batch_sizes.append(args[0].shape[0]))
        try:
            got = generate_grouped(eager, repeated, 30, temperature, top_p, grouped, eos_id=EOS_ID, pad_id=PAD_ID)
        finally:
            handle.remove()
        assert (got.completions, got.truncated) == (expected.completions, expected.truncated)
        assert torch.equal(torch.rand(1, generator=general), torch.rand(1, generator=grouped))  # as many draws
        assert batch_sizes[0] == 4  # the prompt pass: four distinct prompts
        smallest_batch = min([smallest_batch, *batch_sizes[1:]])
    assert smallest_batch < len(repeated) / 2  # finished rows left the batch


def test_sample_next_token_follows_the_distribution():
    logits = torch.log(torch.tensor([[0.7, 0.2, 0.1, 0.0]]).clamp_min(1e-12)).repeat(4000, 1)
    drawn = sample_next_token(logits, 1.0, 1.0, torch.Generator().manual_seed(0))
    frequencies = torch.bincount(drawn, minlength=4).float() / len(drawn)
    assert torch.allclose(frequencies, torch.tensor([0.7, 0.2, 0.1, 0.0]), atol=0.03)
    nucleus = sample_next_token(logits, 1.0, 0.8, torch.Generator().manual_seed(0))
    assert set(nucleus.tolist()) == {0, 1}  # 0.7 < 0.8, so the second token is in the nucleus, the third not


def test_eos_ends_a_completion_and_truncation_is_flagged(tiny, prompts):
    free = generate(tiny, prompts, 6, temperature=0.0, eos_id=-1)
    assert free.truncated == [True] * len(prompts) and all(len(c) == 6 for c in free.completions)
    first = free.completions[0][0]  # declare the first greedy token the stop token: row 0 stops at once
    stopped = generate(tiny, prompts, 6, temperature=0.0, eos_id=first)
    assert stopped.completions[0] == [first] and stopped.truncated[0] is False
    for completion, truncated in zip(stopped.completions, stopped.truncated):
        assert truncated == (first not in completion)
        assert not truncated or len(completion) == 6


def test_generation_layout_matches_the_logprob_layout(tiny, prompts):
    """Under greedy decoding every sampled token is the argmax of the distribution the log-prob pass
    computes on ``pack_batch``'s layout: sampling and the RL losses see the same numbers."""
    out = generate(tiny, prompts, 16, temperature=0.0)
    batch = pack_batch(prompts, out.completions)
    logits = tiny(batch.sequences[:, :-1], attention_mask=batch.attention_mask[:, :-1])
    assert torch.equal(logits.argmax(-1)[batch.loss_mask], batch.sequences[:, 1:][batch.loss_mask])


def test_generation_refuses_more_than_the_block_size(tiny):
    with pytest.raises(ValueError, match="block_size"):
        generate(tiny, [[BOS_ID] * 250], 10, temperature=0.0)


def test_supervised_steps_teach_a_completion(suite, tokenizer):
    """End to end: a few supervised steps on one task and greedy decoding writes its solution."""
    task = next(t for t in suite if t.variant == "single" and t.level == 2)
    prompt, completion = tokenizer.encode_prompt(task.prompt), tokenizer.encode_completion(task.canonical_solution)
    model = GPT(GPTConfig(n_layer=2, n_head=2, n_embd=64, block_size=256), seed=0)
    policy = GPTPolicy(model, tokenizer)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(60):
        loss = supervised_loss(policy, [(prompt, completion)])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    out = policy.generate([prompt], len(completion) + 5, temperature=0.0)
    assert out.completions[0] == completion and out.truncated == [False]
    assert tokenizer.decode(out.completions[0]) == task.canonical_solution


# --- checkpoints and devices ---------------------------------------------------------------------


def test_checkpoint_round_trip(tmp_path, prompts):
    model = GPT(TINY, seed=3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    _, loss = model(torch.tensor([prompts[0][:30]]), torch.tensor([prompts[0][1:31]]))
    loss.backward()
    optimizer.step()
    path = tmp_path / "ckpt" / "policy.pt"
    save_checkpoint(path, model, optimizer, extra={"step": 1, "seed": 3, "metrics": [0.5, None]})
    loaded, extra, optimizer_state = load_checkpoint(path)
    assert extra == {"step": 1, "seed": 3, "metrics": [0.5, None]}
    assert loaded.config == TINY and not loaded.training
    probe = torch.tensor([prompts[1][:50]])
    model.eval()
    assert torch.equal(loaded(probe), model(probe))
    assert loaded.lm_head.weight is loaded.wte.weight
    resumed = torch.optim.AdamW(loaded.parameters(), lr=1e-3)
    resumed.load_state_dict(optimizer_state)
    assert resumed.state_dict()["state"][0]["step"] == optimizer.state_dict()["state"][0]["step"]
    assert checkpoint_tokenizer(path) == Tokenizer()
    policy, _, _ = GPTPolicy.from_checkpoint(path)
    assert torch.equal(policy.token_logprobs(probe), token_logprobs(model, probe))
    with pytest.raises(ValueError, match="vocabulary"):
        load_checkpoint(path, tokenizer=Tokenizer(PIECES + ("zzz",)))
    assert not list(tmp_path.glob("ckpt/*.tmp"))


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            resolve_device("cuda")


# --- optional Hugging Face backend -----------------------------------------------------------------


@pytest.fixture
def tiny_hf_model(tmp_path):
    """A randomly initialised two-layer GPT-2 with a byte-level tokenizer, saved to ``tmp_path``."""
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import decoders, models, pre_tokenizers

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {char: i for i, char in enumerate(alphabet)}
    vocab["<|endoftext|>"] = len(vocab)
    backend = HFTokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=len(vocab), n_positions=128, n_embd=32, n_layer=2, n_head=2)
    model = transformers.GPT2LMHeadModel(config)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    return tmp_path


def test_hf_policy_has_the_policy_interface(tiny_hf_model):
    from execrl.policy.hf import HFPolicy

    policy = HFPolicy(tiny_hf_model, device="cpu")
    text = "def f(xs):\n    return xs[::-1]\n"
    assert policy.decode(policy.encode(text)) == text
    prompts = [policy.encode_prompt("def f(xs):\n"), policy.encode_prompt("x = 1\n")]
    greedy = policy.generate(prompts, 8, temperature=0.0)
    assert all(len(c) == 8 for c, cut in zip(greedy.completions, greedy.truncated) if cut)

    def sample(seed):
        return policy.generate(prompts, 8, temperature=1.0, top_p=0.9, generator=torch.Generator().manual_seed(seed))

    assert sample(0).completions == sample(0).completions
    assert policy.generate(prompts, 8, temperature=1.0, top_p=1e-6, generator=torch.Generator()).completions == (
        greedy.completions
    )
    batch = pack_batch(prompts, greedy.completions, pad_id=policy.pad_id)
    logp, entropy = policy.token_logprobs_and_entropy(batch.sequences, batch.attention_mask)
    assert logp.shape == entropy.shape == (2, batch.sequences.shape[1] - 1)
    assert torch.all(logp[batch.loss_mask] <= 0)
    (scored, _), mask = policy.score_completions(prompts, greedy.completions)
    assert torch.allclose(scored[mask], logp[:, batch.prompt_width - 1 :][mask], atol=1e-5)
    # the cached sampling loop and the full log-prob pass agree on the greedy tokens
    logits = policy._logits(batch.sequences[:, :-1], batch.attention_mask[:, :-1])
    assert torch.equal(logits.argmax(-1)[batch.loss_mask], batch.sequences[:, 1:][batch.loss_mask])


def test_hf_policy_names_the_missing_dependency(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_transformers(name, *args, **kwargs):
        if name == "transformers" or name.startswith("transformers."):
            raise ImportError("No module named 'transformers'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_transformers)
    from execrl.policy.hf import HFPolicy

    with pytest.raises(ImportError, match="pip install transformers"):
        HFPolicy(tmp_path)
