import { Body, ConflictException, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { RecoveryCloudState } from '../recovery-cloud.state';
import type { TimeSkipper } from '../time-skipping';
import { ParticipantDto } from './dto';

/**
 * The time-skipping clock's participants (`SIM_TIME_MODE=skip`): each engine process says whether it
 * works, which operations it waits for and when its next timer falls due; the answer is the clock
 * (after any jump) and which of its operations are over.
 */
@Controller('sim/v1/clock/participants')
export class TimeSkippingController {
  constructor(private readonly state: RecoveryCloudState) {}

  @Put(':participantId')
  @HttpCode(200)
  report(@Param('participantId') id: string, @Body() body: ParticipantDto) {
    const outcome = this.skipper().report(
      id,
      {
        busy: body.busy,
        waitingOn: body.waitingOn,
        nextTimerAt: body.nextTimerAt ? Date.parse(body.nextTimerAt) : null,
        awaitingPerson: body.awaitingPerson,
      },
      body.leaseMs ?? 5000,
    );
    return { ...outcome, clock: this.state.clock.snapshot() };
  }

  @Delete(':participantId')
  @HttpCode(204)
  leave(@Param('participantId') id: string): void {
    this.skipper().leave(id);
  }

  @Get()
  list() {
    const skipper = this.skipper();
    return { items: skipper.list(), stats: { ...skipper.stats }, clock: this.state.clock.snapshot() };
  }

  private skipper(): TimeSkipper {
    if (!this.state.skipper)
      throw new ConflictException({
        code: 'clock-not-skipping',
        message: 'the simulated clock is scaled (SIM_TIME_MODE=scaled): it has no participants',
      });
    return this.state.skipper;
  }
}
