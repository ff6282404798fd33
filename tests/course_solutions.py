"""Solutions written the way the course's solution cells write them, to type into the notebooks' TODO cells.

They keep the course's shape on purpose: ``np.argmax`` greedy choices, ``random.uniform`` and the global
``env`` in epsilon-greedy, ``learning_rate``/``gamma`` read from the notebook in ``train``, an update that
bootstraps from terminal states, the ``fc1``/``fc2`` policy that reads the global ``device``, per-episode
normalisation with torch's default std, and a ``reinforce`` loop that reads the global ``env``. (Unit 4 uses
Gymnasium's reset/step, as the kit's environments need.) The kit must accept every one of them.
"""

COURSE = {
    "env": '''
env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=False, render_mode="rgb_array")
''',
    "initialize_q_table": '''
def initialize_q_table(state_space, action_space):
  Qtable = np.zeros((state_space, action_space))
  return Qtable
''',
    "greedy_policy": '''
def greedy_policy(Qtable, state):
  # Exploitation: the action with the highest value in this state
  action = np.argmax(Qtable[state][:])
  return action
''',
    "epsilon_greedy_policy": '''
def epsilon_greedy_policy(Qtable, state, epsilon):
  random_num = random.uniform(0, 1)
  if random_num > epsilon:
    action = greedy_policy(Qtable, state)
  else:
    action = env.action_space.sample()
  return action
''',
    "train": '''
def train(n_training_episodes, min_epsilon, max_epsilon, decay_rate, env, max_steps, Qtable):
  for episode in tqdm(range(n_training_episodes)):
    epsilon = min_epsilon + (max_epsilon - min_epsilon) * np.exp(-decay_rate * episode)
    state, info = env.reset()
    step = 0
    terminated = False
    truncated = False
    for step in range(max_steps):
      action = epsilon_greedy_policy(Qtable, state, epsilon)
      new_state, reward, terminated, truncated, info = env.step(action)
      Qtable[state][action] = Qtable[state][action] + learning_rate * (
          reward + gamma * np.max(Qtable[new_state]) - Qtable[state][action])
      if terminated or truncated:
        break
      state = new_state
  return Qtable
''',
    "spaces": '''
state_space = env.observation_space.n
action_space = env.action_space.n
''',
    # The course's first Policy solution: its act takes np.argmax(m), which crashes (the debugging exercise).
    "Policy": '''
class Policy(nn.Module):
    def __init__(self, s_size, a_size, h_size):
        super(Policy, self).__init__()
        self.fc1 = nn.Linear(s_size, h_size)
        self.fc2 = nn.Linear(h_size, a_size)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.softmax(x, dim=1)

    def act(self, state):
        state = torch.from_numpy(state).float().unsqueeze(0).to(device)
        probs = self.forward(state).cpu()
        m = Categorical(probs)
        action = np.argmax(m)
        return action.item(), m.log_prob(action)
''',
    "act": '''
def act(self, state):
    state = torch.from_numpy(state).float().unsqueeze(0).to(device)
    probs = self.forward(state).cpu()
    m = Categorical(probs)
    action = m.sample()
    return action.item(), m.log_prob(action)
''',
    "discounted_returns": '''
def discounted_returns(rewards, gamma):
    returns = deque(maxlen=len(rewards))
    n_steps = len(rewards)
    for t in range(n_steps)[::-1]:
        disc_return_t = (returns[0] if len(returns) > 0 else 0)
        returns.appendleft(gamma * disc_return_t + rewards[t])
    return returns
''',
    "normalise_returns": '''
def normalise_returns(returns, eps=1e-8):
    eps = np.finfo(np.float32).eps.item()
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    return returns
''',
    "reinforce_loss": '''
def reinforce_loss(log_probs, returns):
    policy_loss = []
    for log_prob, disc_return in zip(log_probs, returns):
        policy_loss.append(-log_prob * disc_return)
    return torch.stack(policy_loss).sum()
''',
    "reinforce": '''
def reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every):
    scores_deque = deque(maxlen=100)
    scores = []
    for i_episode in range(1, n_training_episodes + 1):
        saved_log_probs = []
        rewards = []
        state, _ = env.reset()
        for t in range(max_t):
            action, log_prob = policy.act(state)
            saved_log_probs.append(log_prob)
            state, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward)
            if terminated or truncated:
                break
        scores_deque.append(sum(rewards))
        scores.append(sum(rewards))

        returns = deque(maxlen=max_t)
        n_steps = len(rewards)
        for t in range(n_steps)[::-1]:
            disc_return_t = (returns[0] if len(returns) > 0 else 0)
            returns.appendleft(gamma * disc_return_t + rewards[t])

        eps = np.finfo(np.float32).eps.item()
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)

        policy_loss = []
        for log_prob, disc_return in zip(saved_log_probs, returns):
            policy_loss.append(-log_prob * disc_return)
        policy_loss = torch.cat(policy_loss).sum()

        optimizer.zero_grad()
        policy_loss.backward()
        optimizer.step()

        if i_episode % print_every == 0:
            print('Episode {}\\tAverage Score: {:.2f}'.format(i_episode, np.mean(scores_deque)))

    return scores
''',
    "PixelcopterPolicy": '''
class PixelcopterPolicy(nn.Module):
    def __init__(self, s_size, a_size, h_size):
        super(PixelcopterPolicy, self).__init__()
        self.fc1 = nn.Linear(s_size, h_size)
        self.fc2 = nn.Linear(h_size, h_size * 2)
        self.fc3 = nn.Linear(h_size * 2, a_size)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return F.softmax(x, dim=1)

    def act(self, state):
        state = torch.from_numpy(state).float().unsqueeze(0).to(device)
        probs = self.forward(state).cpu()
        m = Categorical(probs)
        action = m.sample()
        return action.item(), m.log_prob(action)
''',
}

# Wrong answers that a check accepts with a note (they train, a little differently): the notebook must still run to
# the end with them typed in. Each one replaces the reference in a copy of the notebook (conftest's "accepted"
# variant); the other exercises keep the reference. The course's own variants (np.argmax ties, the global env,
# bootstrapping from terminal states, torch's default std, 64-128 widths) are covered by the "course" copies.
ACCEPTED_MISTAKES = {
    # The mean instead of the sum over the steps: the same direction, a smaller step.
    "reinforce_loss": '''
def reinforce_loss(log_probs, returns):
    return -(log_probs * returns).mean()
''',
}


# The loop's TODO cell filled in as a beginner fills it (the learner's own names and layout): the tests type their
# mistakes into this.
BEGINNER_LOOP = """
def reinforce(policy, optimizer, n_training_episodes, max_t, gamma, print_every, env):
    scores_deque = deque(maxlen=100)
    scores = []
    for i_episode in range(1, n_training_episodes + 1):
        saved_log_probs, rewards = [], []
        state, info = env.reset()
        for t in range(max_t):
            action, log_prob = policy.act(state)
            saved_log_probs.append(log_prob)
            state, reward, terminated, truncated, info = env.step(action)
            rewards.append(reward)
            if terminated or truncated:
                break
        scores_deque.append(sum(rewards))
        scores.append(sum(rewards))

        returns = normalise_returns(discounted_returns(rewards, gamma))
        loss = reinforce_loss(torch.cat(saved_log_probs), returns)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if print_every and i_episode % print_every == 0:
            print(f"Episode {i_episode}\\tAverage score (last 100): {np.mean(scores_deque):.2f}")
    return scores
"""
